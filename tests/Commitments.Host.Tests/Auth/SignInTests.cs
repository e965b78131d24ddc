using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Auth;

[Collection(AppCollection.Name)]
public sealed class SignInTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    [Fact]
    public async Task APinSignInSetsAnHttpOnlyStrictCookieAndSaysWhoYouAre()
    {
        using var client = App.CreateClient();

        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site = "demo", staff = "desk1", pin = "1111" });

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var me = await response.JsonAsync();
        me.GetProperty("staff").GetString().ShouldBe("desk1");
        me.GetProperty("name").GetString().ShouldBe("Dana Whitfield");
        me.GetProperty("role").GetString().ShouldBe("frontdesk");
        me.GetProperty("site").GetString().ShouldBe("demo");
        var cookies = response.Headers.GetValues("Set-Cookie").ToList();
        var cookie = cookies.Single(c => c.StartsWith("commitments.auth=", StringComparison.Ordinal));
        cookie.ShouldContain("httponly");
        cookie.ShouldContain("samesite=strict");
        // The device is remembered for its site (the sign-in page then shows the site's people), just as privately.
        var device = cookies.Single(c => c.StartsWith("commitments.device=", StringComparison.Ordinal));
        device.ShouldContain("httponly");
        device.ShouldContain("samesite=strict");
    }

    [Fact]
    public async Task AWrongPinIs401NamingThePin()
    {
        using var client = App.CreateClient();

        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site = "demo", staff = "eng1", pin = "0000" });

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "pin");
        response.Headers.Contains("Set-Cookie").ShouldBeFalse();
    }

    [Fact]
    public async Task FiveWrongPinsLockThatPersonOutWithRetryAfter()
    {
        var site = await App.NewSiteAsync();
        using var client = App.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            (await client.PostAsJsonAsync("/api/auth/pin", new { site, staff = "hk2", pin = "9876" })).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        var locked = await client.PostAsJsonAsync("/api/auth/pin", new { site, staff = "hk2", pin = "9876" });
        var right = await client.PostAsJsonAsync("/api/auth/pin", new { site, staff = "hk2", pin = "2223" });

        await locked.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "pin");
        await right.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests, "pin");
        int.Parse(right.Headers.GetValues("Retry-After").Single()).ShouldBeInRange(1, 300);
        (await client.PostAsJsonAsync("/api/auth/pin", new { site, staff = "hk1", pin = "2222" })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("""{"staff":"desk1","pin":"1111"}""", "site")]
    [InlineData("""{"site":"demo","pin":"1111"}""", "staff")]
    [InlineData("""{"site":"demo","staff":"desk1"}""", "pin")]
    [InlineData("""{"site":"demo","staff":"desk1","pin":1111}""", "pin")]
    public async Task MissingOrMistypedFieldsAreNamed(string body, string field)
    {
        using var client = App.CreateClient();

        var response = await client.PostAsync("/api/auth/pin", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task TheApiAnswers401NotARedirectWhenSignedOut()
    {
        using var client = App.CreateClient(new() { AllowAutoRedirect = false });

        var response = await client.GetAsync("/api/sites/demo/commitments");

        await response.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task SigningOutEndsTheSession()
    {
        using var client = await App.SignInAsync("hk1", "2222");
        (await client.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await client.PostJsonAsync("/api/auth/signout")).StatusCode.ShouldBe(HttpStatusCode.NoContent);

        (await client.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }
}
