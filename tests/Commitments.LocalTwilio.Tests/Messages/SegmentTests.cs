namespace Commitments.LocalTwilio.Tests.Messages;

/// <summary>num_segments as the API reports it (spec §5).</summary>
public sealed class SegmentTests
{
    private const string Emoji = "😀";

    public static TheoryData<string, string, bool, string> Bodies => new()
    {
        { "short GSM", "Your table is ready.", false, "1" },
        { "160 GSM", new string('a', 160), false, "1" },
        { "161 GSM", new string('a', 161), false, "2" },
        { "306 GSM", new string('a', 306), false, "2" },
        { "307 GSM", new string('a', 307), false, "3" },
        { "80 euro signs fill 160 septets", new string('€', 80), false, "1" },
        { "81 euro signs", new string('€', 81), false, "2" },
        { "an extension char is not split", new string('a', 152) + "{" + new string('a', 152), false, "3" },
        { "70 UCS-2", new string('ж', 70), false, "1" },
        { "71 UCS-2", new string('ж', 71), false, "2" },
        { "134 UCS-2", new string('ж', 134), false, "2" },
        { "135 UCS-2", new string('ж', 135), false, "3" },
        { "one non-GSM char switches all", new string('a', 69) + "ж", false, "1" },
        { "and 71 then need two", new string('a', 70) + "ж", false, "2" },
        { "35 emoji are 70 units", string.Concat(Enumerable.Repeat(Emoji, 35)), false, "1" },
        { "36 emoji", string.Concat(Enumerable.Repeat(Emoji, 36)), false, "2" },
        { "an emoji is not split", new string('ж', 66) + Emoji + new string('ж', 66), false, "3" },
        { "curly quotes are UCS-2", "It’s “ready” — " + new string('a', 60), false, "2" },
        { "smart encoding maps them to GSM", "It’s “ready” — " + new string('a', 60), true, "1" },
        { "smart ellipsis and fullwidth", "Ｏｋ… " + new string('a', 150), true, "1" },
        { "smart encoding keeps emoji UCS-2", "It’s " + Emoji + " ready", true, "1" },
        { "smart encoding keeps Cyrillic", "It’s " + new string('ж', 70), true, "2" },
    };

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task NumSegmentsFollowsTheEncoding(string why, string body, bool smartEncoded, string expected)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var m = await twilio.SendOkAsync(("Body", body), ("SmartEncoded", smartEncoded ? "true" : "false"));

        m.Str("num_segments").ShouldBe(expected, why);
    }
}
