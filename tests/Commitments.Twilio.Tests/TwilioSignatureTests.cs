using System.Text;

namespace Commitments.Twilio.Tests;

/// <summary>The vectors of spec §4, all with Auth Token 12345.</summary>
public sealed class TwilioSignatureTests
{
    private const string Token = "12345";

    private static readonly KeyValuePair<string, string>[] VectorA =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675310"),
        new("Digits", "1234"),
        new("From", "+14158675310"),
        new("To", "+18005551212"),
    ];

    private static readonly KeyValuePair<string, string>[] VectorB =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
        new("From", "+14158675309"),
        new("To", "+18005551212"),
    ];

    [Fact]
    public void VectorAFromTwilioDocs() =>
        TwilioSignature.Compute(Token, "https://example.com/myapp.php?foo=1&bar=2", VectorA).ShouldBe("L/OH5YylLD5NRKLltdqwSvS0BnU=");

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=")]
    [InlineData("https://mycompany.com:443/myapp.php?foo=1&bar=2", "kvajT1Ptam85bY51eRf/AJRuM3w=")]
    [InlineData("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=")]
    [InlineData("https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=")]
    public void VectorBFromTwilioCsharp(string url, string signature)
    {
        TwilioSignature.Compute(Token, url, VectorB).ShouldBe(signature);
        TwilioSignature.IsValid(url, VectorB, signature, [Token]).ShouldBeTrue();
    }

    [Fact]
    public void VectorCFromGoAlert() =>
        TwilioSignature.Compute(Token, "https://mycompany.com/myapp.php?foo=1&bar=2", VectorA).ShouldBe("GvWf1cFY/Q7PnoempGyD5oXAezc=");

    [Theory]
    [InlineData("https://mycompany.com/myapp.php?foo=1&bar=2&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "a9nBmqA0ju/hNViExpshrM61xv4=")]
    [InlineData("https://mycompany.com/myapp.php?bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620", "y77kIzt2vzLz71DgmJGsen2scGs=")]
    public void VectorDJsonBody(string url, string signature)
    {
        var body = Encoding.UTF8.GetBytes("""{"property": "value", "boolean": true}""");

        TwilioSignature.IsValidJson(url, body, signature, [Token]).ShouldBeTrue();
        TwilioSignature.IsValidJson(url, Encoding.UTF8.GetBytes("""{"property": "other"}"""), signature, [Token]).ShouldBeFalse();
    }

    [Fact]
    public void TwilioSigningWithTheDefaultPortStillValidatesAgainstTheConfiguredUrl()
    {
        var signedWithPort = TwilioSignature.Compute(Token, "https://mycompany.com:443/myapp.php?foo=1&bar=2", VectorB);

        TwilioSignature.IsValid("https://mycompany.com/myapp.php?foo=1&bar=2", VectorB, signedWithPort, [Token]).ShouldBeTrue();
        TwilioSignature.IsValid("https://mycompany.com:443/myapp.php?foo=1&bar=2", VectorB,
            TwilioSignature.Compute(Token, "https://mycompany.com/myapp.php?foo=1&bar=2", VectorB), [Token]).ShouldBeTrue();
    }

    [Fact]
    public void AForgedOrAlteredRequestIsRejected()
    {
        var url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        var signature = TwilioSignature.Compute(Token, url, VectorB);

        TwilioSignature.IsValid(url, VectorB, TwilioSignature.Compute("54321", url, VectorB), [Token]).ShouldBeFalse();
        TwilioSignature.IsValid(url, [.. VectorB.Where(p => p.Key != "Digits"), new("Digits", "9999")], signature, [Token]).ShouldBeFalse();
        TwilioSignature.IsValid(url + "&extra=1", VectorB, signature, [Token]).ShouldBeFalse();
        TwilioSignature.IsValid(url, VectorB, null, [Token]).ShouldBeFalse();
    }

    [Fact]
    public void TheSecondaryTokenIsAcceptedWhileItIsSet()
    {
        var url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        var signature = TwilioSignature.Compute("new-token", url, VectorB);

        TwilioSignature.IsValid(url, VectorB, signature, [Token, "new-token"]).ShouldBeTrue();
        TwilioSignature.IsValid(url, VectorB, signature, [Token, null]).ShouldBeFalse();
    }

    [Fact]
    public void ParameterNamesSortOrdinallyNotByCulture()
    {
        // Culture-aware sorting puts "Caller" before "CallSid"; Twilio sorts ordinally ("CallSid" first).
        var url = "https://example.com/myapp.php?foo=1&bar=2";
        var reversed = VectorA.Reverse().ToArray();

        TwilioSignature.Compute(Token, url, reversed).ShouldBe("L/OH5YylLD5NRKLltdqwSvS0BnU=");
    }
}
