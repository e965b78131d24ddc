using System.Net.Http.Json;
using Commitments.Host.Tests.Texts;

namespace Commitments.Host.Tests.Hosting;

/// <summary>Behind a trusted proxy (loopback here, as on one machine) the client's scheme and address are the forwarded ones.</summary>
[Collection(TextingCollection.Name)]
public sealed class ForwardedHeadersTests(TextingFixture fixture)
{
    [Fact]
    public async Task AnHttpsRequestForwardedByATrustedProxyGetsSecureCookies()
    {
        var site = await TextsTestSite.CreateAsync(fixture.Texting);
        using var http = new HttpClient();
        var signIn = $"{fixture.Texting.BaseUrl}/api/auth/pin";

        var direct = await http.PostAsJsonAsync(signIn, new { site = site.Id, staff = "desk1", pin = "1234" });
        DeviceCookie(direct).ShouldNotContain("secure");

        var forwarded = new HttpRequestMessage(HttpMethod.Post, signIn) { Content = JsonContent.Create(new { site = site.Id, staff = "desk1", pin = "1234" }) };
        forwarded.Headers.Add("X-Forwarded-Proto", "https");
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
        var viaProxy = await http.SendAsync(forwarded);
        DeviceCookie(viaProxy).ShouldContain("secure");
        AuthCookie(viaProxy).ShouldContain("secure");
    }

    private static string DeviceCookie(HttpResponseMessage response) => Cookie(response, "commitments.device=");

    private static string AuthCookie(HttpResponseMessage response) => Cookie(response, "commitments.auth=");

    private static string Cookie(HttpResponseMessage response, string name)
    {
        response.EnsureSuccessStatusCode();
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith(name, StringComparison.Ordinal)).ToLowerInvariant();
    }
}
