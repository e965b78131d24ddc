using System.Net;
using Commitments.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Commitments.Host.Tests.Escalation;

/// <summary>Hangfire's dashboard: managers only, read-only unless an admin; a browser that is not signed in goes to sign-in.</summary>
public sealed class DashboardTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OnlyManagersSeeTheDashboardAndOnlyAdminsCanAct()
    {
        // The seeded demo site's manager is the admin; another site's manager is not.
        const string admin = "demo";
        await using var configured = new CommitmentsApp(azurite, settings: new Dictionary<string, string?> { ["Hangfire:Admins:0"] = $"{admin}/mgr1" });
        var other = await configured.NewSiteAsync();

        using var anonymous = configured.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var redirect = await anonymous.GetAsync("/hangfire");
        redirect.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        redirect.Headers.Location!.ToString().ShouldContain("/signin?ReturnUrl=%2Fhangfire");

        using var desk = await configured.SignInAsync("desk1", "1111", admin);
        (await desk.GetAsync("/hangfire")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        using var readOnly = await configured.SignInAsync("mgr1", "9999", other);
        var page = await readOnly.GetAsync("/hangfire/recurring");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("escalation-reconcile");
        html.ShouldNotContain("recurring/trigger");

        using var boss = await configured.SignInAsync("mgr1", "9999", admin);
        (await (await boss.GetAsync("/hangfire/recurring")).Content.ReadAsStringAsync()).ShouldContain("recurring/trigger");
    }
}
