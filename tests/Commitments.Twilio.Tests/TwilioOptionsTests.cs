namespace Commitments.Twilio.Tests;

public sealed class TwilioOptionsTests
{
    private static TwilioOptions Valid() => new()
    {
        AccountSid = "AC" + new string('a', 32),
        ApiKeySid = "SK" + new string('b', 32),
        ApiKeySecret = "secret",
        AuthToken = "token",
        From = "+15005550006",
        PublicBaseUrl = "https://hotel.example.com",
    };

    [Fact]
    public void AFullSetOfSettingsHasNoProblems() => Valid().Problems().ShouldBeEmpty();

    [Fact]
    public void EachBadSettingIsNamed()
    {
        var options = new TwilioOptions
        {
            AccountSid = "AC123",
            ApiKeySid = "SK1",
            From = "555-0100",
            MessagingServiceSid = null,
            PublicBaseUrl = "hotel",
            MessagesPerSecond = 0,
        };

        var problems = string.Join('\n', options.Problems());

        foreach (var key in new[] { "Twilio:AccountSid", "Twilio:ApiKeySid", "Twilio:ApiKeySecret", "Twilio:AuthToken", "Twilio:From", "Twilio:PublicBaseUrl", "Twilio:MessagesPerSecond" })
        {
            problems.ShouldContain(key);
        }
    }

    [Fact]
    public void ExactlyOneSenderIsNeeded()
    {
        var both = Valid();
        both.MessagingServiceSid = "MG" + new string('c', 32);

        both.Problems().ShouldContain(p => p.Contains("exactly one"));
    }
}
