using Commitments.LocalTwilio.Signing;

namespace Commitments.LocalTwilio.Tests.Signing;

/// <summary>The spec §4 vectors, all with auth token 12345.</summary>
public sealed class TwilioSignatureTests
{
    private const string Token = "12345";
    private const string JsonBody = "{\"property\": \"value\", \"boolean\": true}";
    private const string JsonBodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    private static KeyValuePair<string, string>[] Call(string caller) =>
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", caller),
        new("Digits", "1234"),
        new("From", caller),
        new("To", "+18005551212"),
    ];

    [Fact]
    public void VectorAFromTwilioDocsSignsUrlThenOrdinallySortedPairs() =>
        TwilioSignature.Compute(Token, "https://example.com/myapp.php?foo=1&bar=2", Call("+14158675310"))
            .ShouldBe("L/OH5YylLD5NRKLltdqwSvS0BnU=");

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    public void VectorBFromTwilioCSharpCoversPortAndHostCase(string url, string expected) =>
        TwilioSignature.Compute(Token, url, Call("+14158675309")).ShouldBe(expected);

    [Fact]
    public void VectorCFromGoAlertUsesTheDocsValuesOnAnotherHost() =>
        TwilioSignature.Compute(Token, "https://mycompany.com/myapp.php?foo=1&bar=2", Call("+14158675310"))
            .ShouldBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");

    [Fact]
    public void VectorDHashesAJsonBodyAndSignsOnlyTheUrl()
    {
        TwilioSignature.BodySha256(JsonBody).ShouldBe(JsonBodyHash);
        TwilioSignature.Compute(Token, $"https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256={JsonBodyHash}", [])
            .ShouldBe("a9nBmqA0ju/hNViExpshrM61xv4=");
        TwilioSignature.Compute(Token, $"https://mycompany.com/myapp.php?bodySHA256={JsonBodyHash}", [])
            .ShouldBe("y77kIzt2vzLz71DgmJGsen2scGs=");
    }

    [Fact]
    public void ValidationIsExactAboutUrlAndToken()
    {
        var form = Call("+14158675310");
        TwilioSignature.IsValid(Token, "https://example.com/myapp.php?foo=1&bar=2", form, "L/OH5YylLD5NRKLltdqwSvS0BnU=").ShouldBeTrue();
        TwilioSignature.IsValid(Token, "https://example.com/myapp.php?foo=1&bar=3", form, "L/OH5YylLD5NRKLltdqwSvS0BnU=").ShouldBeFalse();
        TwilioSignature.IsValid("54321", "https://example.com/myapp.php?foo=1&bar=2", form, "L/OH5YylLD5NRKLltdqwSvS0BnU=").ShouldBeFalse();
        TwilioSignature.IsValid(Token, "https://example.com/myapp.php?foo=1&bar=2", form, null).ShouldBeFalse();
    }
}
