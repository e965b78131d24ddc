namespace Commitments.Twilio.Tests;

public sealed class SmsSegmentsTests
{
    [Theory]
    [InlineData(160, 1)]
    [InlineData(161, 2)]
    [InlineData(306, 2)]
    [InlineData(307, 3)]
    public void Gsm7Is160OrElse153APart(int length, int segments) =>
        SmsSegments.Count(new string('a', length)).ShouldBe(new SegmentCount(SmsEncoding.Gsm7, length, segments));

    [Fact]
    public void ExtensionCharactersCostTwoAndAreNeverSplit()
    {
        SmsSegments.Count(new string('a', 158) + "€").ShouldBe(new SegmentCount(SmsEncoding.Gsm7, 160, 1));
        // 152 septets then a 2-septet character: it moves whole to the second part.
        SmsSegments.Count(new string('a', 152) + "{" + new string('a', 10)).Segments.ShouldBe(2);
        SmsSegments.Count(new string('a', 152) + "{" + new string('a', 152)).Segments.ShouldBe(3);
    }

    [Theory]
    [InlineData(70, 1)]
    [InlineData(71, 2)]
    [InlineData(134, 2)]
    [InlineData(135, 3)]
    public void OneNonGsmCharacterMakesItUcs2(int length, int segments) =>
        SmsSegments.Count("ł" + new string('a', length - 1)).ShouldBe(new SegmentCount(SmsEncoding.Ucs2, length, segments));

    [Fact]
    public void EmojiTakeTwoUnitsAndStayWhole()
    {
        SmsSegments.Count("Thanks 👍").ShouldBe(new SegmentCount(SmsEncoding.Ucs2, 9, 1));
        SmsSegments.Count(new string('a', 66) + "👍" + new string('a', 10)).Segments.ShouldBe(2);
    }

    [Fact]
    public void SmartEncodingKeepsLookAlikesInGsm7()
    {
        var text = "“Towels” — by 3:30 pm… it’s on its way";

        SmsSegments.Count(text).Encoding.ShouldBe(SmsEncoding.Ucs2);
        SmsSegments.Count(text, smartEncode: true).Encoding.ShouldBe(SmsEncoding.Gsm7);
        SmartEncoding.Apply(text).ShouldBe("\"Towels\" - by 3:30 pm... it's on its way");
        SmartEncoding.Apply("ＡＢＣ\u00A0x").ShouldBe("ABC x");
    }

    [Fact]
    public void NonLatinScriptsStayUcs2EvenWhenSmartEncoded() =>
        SmsSegments.Count("Ваши полотенца", smartEncode: true).Encoding.ShouldBe(SmsEncoding.Ucs2);
}
