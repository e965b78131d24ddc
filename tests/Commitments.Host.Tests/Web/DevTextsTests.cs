using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Web;

/// <summary>
/// The first command's /dev/texts: the host as a newcomer runs it (Development, no Twilio account, so
/// it starts the local Twilio itself), a promise texted to a guest, and the page showing it.
/// </summary>
[Collection(BrowserCollection.Name)]
public sealed class DevTextsTests(BrowserFixture browser, AzuriteFixture azurite)
{
    [Fact]
    public async Task TheTextsPageKeepsLongLinksInTheirBubblesAndWritesTimesInSiteTime()
    {
        using var host = await HostProcess.StartAsync(azurite, azurite.NewTableName("devtexts"));
        using var desk = host.NewClient();
        (await desk.PostAsJsonAsync("/api/auth/pin", new { site = "demo", staff = "desk1", pin = "1111" })).EnsureSuccessStatusCode();
        var made = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
        {
            what = "Extra towels",
            customer = new { name = "Ana Silva", mobile = "+12025550177", room = "412", smsConsent = true },
            dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });
        made.EnsureSuccessStatusCode();

        await using var context = await browser.Browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), ViewportSize = new() { Width = 768, Height = 1024 } });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/dev/texts");
        // The guest's first text carries the status link: a long word that must wrap inside its bubble.
        var bubble = page.Locator(".m", new() { HasText = "/s/" }).First;
        await bubble.WaitForAsync(new() { Timeout = 30_000 });

        (await bubble.EvaluateAsync<bool>("b => b.scrollWidth <= b.clientWidth")).ShouldBeTrue("the link overflows its bubble");
        // One clock: the service writes the demo site's time in the texts' words, and names the zone.
        (await bubble.Locator(".meta").TextContentAsync()).ShouldNotBeNull().ShouldMatch(@"^\d{1,2}:\d{2} (am|pm) · ");
        await page.GetByText("Times are New York time.", new() { Exact = false }).WaitForAsync();
    }
}
