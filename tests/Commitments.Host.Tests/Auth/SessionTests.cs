using System.Net;
using System.Net.Http.Json;
using Commitments.Host.Tests.Texts;

namespace Commitments.Host.Tests.Auth;

/// <summary>A sign-in holds only while the directory says so: another role, a new PIN, deactivation or signing out end it at the next request.</summary>
[Collection(TextingCollection.Name)]
public sealed class SessionTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private async Task<HttpClient> SignInAsync(TextsTestSite site, string staff, string? pin = null, CookieContainer? jar = null)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = jar ?? new CookieContainer() }) { BaseAddress = new Uri(Texting.BaseUrl) };
        (await client.PostAsJsonAsync("/api/auth/pin", new { site = site.Id, staff, pin = pin ?? TextsTestSite.PinOf(staff) })).StatusCode.ShouldBe(HttpStatusCode.OK);
        return client;
    }

    [Fact]
    public async Task ADemotedManagerLosesTheManagersViewsAtTheirNextRequest()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var boss = await SignInAsync(site, "mgr1");
        (await boss.PatchAsJsonAsync($"/api/sites/{site.Id}/staff/hk1", new { role = "manager", pin = "135790" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        using var promoted = await SignInAsync(site, "hk1", "135790");
        // A manager's view: everyone, leavers included, with full mobiles.
        (await promoted.GetAsync($"/api/sites/{site.Id}/staff?includeInactive=true")).StatusCode.ShouldBe(HttpStatusCode.OK);

        (await boss.PatchAsJsonAsync($"/api/sites/{site.Id}/staff/hk1", new { role = "staff" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var after = await promoted.GetAsync($"/api/sites/{site.Id}/staff?includeInactive=true");
        await after.ShouldBeProblemAsync(HttpStatusCode.Unauthorized);
        // The stale cookie is removed, not just refused.
        after.Headers.GetValues("Set-Cookie").ShouldContain(c => c.StartsWith("commitments.auth=;", StringComparison.Ordinal));
        (await promoted.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task ANewPinEndsEverySignInAndSigningOutEndsThatOneEvenForACopyOfItsCookie()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var boss = await SignInAsync(site, "mgr1");
        var phoneJar = new CookieContainer();
        using var phone = await SignInAsync(site, "hk1", jar: phoneJar);
        using var tablet = await SignInAsync(site, "hk1");

        // Signing out on the phone: a copy of its cookie taken before no longer works; the tablet stays signed in.
        using var copied = new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = new Uri(Texting.BaseUrl) };
        copied.DefaultRequestHeaders.Add("Cookie", phoneJar.GetCookieHeader(new Uri(Texting.BaseUrl)));
        (await copied.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await phone.PostAsync("/api/auth/signout", null)).StatusCode.ShouldBe(HttpStatusCode.NoContent);
        (await copied.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await tablet.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // A manager sets a new PIN: every sign-in of the person ends.
        (await boss.PatchAsJsonAsync($"/api/sites/{site.Id}/staff/hk1", new { pin = "8642" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await tablet.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await SignInAsync(site, "hk1", "8642")).Dispose();
    }
}
