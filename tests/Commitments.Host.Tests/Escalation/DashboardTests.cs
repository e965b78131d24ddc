using System.Net;
using Commitments.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Commitments.Host.Tests.Escalation;

/// <summary>Hangfire's dashboard shows every site's jobs: platform operators only; a site's manager gets 403; a browser that is not signed in goes to sign-in.</summary>
public sealed class DashboardTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OnlyThePlatformsOperatorsSeeTheDashboard()
    {
        var operatorSite = "demo";
        await using var configured = new CommitmentsApp(azurite, settings: new Dictionary<string, string?> { ["Hangfire:Operators:0"] = $"{operatorSite}/desk1" });
        var other = await configured.NewSiteAsync();

        using var anonymous = configured.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var redirect = await anonymous.GetAsync("/hangfire");
        redirect.StatusCode.ShouldBe(HttpStatusCode.Redirect);
        redirect.Headers.Location!.ToString().ShouldContain("/signin?ReturnUrl=%2Fhangfire");

        // Managers of any site, the operator's own site included, are not operators.
        foreach (var site in new[] { operatorSite, other })
        {
            using var manager = await configured.SignInAsync("mgr1", "999999", site);
            (await manager.GetAsync("/hangfire")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
            (await manager.GetAsync("/hangfire/recurring")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        }

        using var sameIdElsewhere = await configured.SignInAsync("desk1", "1111", other);
        (await sameIdElsewhere.GetAsync("/hangfire")).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        using var platform = await configured.SignInAsync("desk1", "1111", operatorSite);
        var page = await platform.GetAsync("/hangfire/recurring");
        page.StatusCode.ShouldBe(HttpStatusCode.OK);
        var html = await page.Content.ReadAsStringAsync();
        html.ShouldContain("escalation-reconcile");
        html.ShouldContain("recurring/trigger");
    }
}
