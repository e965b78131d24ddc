using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Insights;
using Commitments.Grains.Sites;
using Commitments.Host.Tests.Texts;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class GapMapTests(BrowserFixture browser)
{
    private ICommitmentGrain Grain(string site, Guid id) => browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));


    [Fact]
    public async Task TheGapMapCountsThePromisesMadeInTheTest()
    {
        var site = await browser.App.NewSiteAsync();
        // Housekeeping accepts and finishes on time.
        var towels = await browser.PromiseAsync(site, TimeSpan.FromHours(1), handoffTo: "hk1");
        await Grain(site, towels).AcceptHandoff(Actor.Staff("hk1"));
        await Grain(site, towels).Complete(Actor.Staff("hk1"), null);
        // Engineering declines; the front desk keeps it and finishes it after its deadline.
        var repair = await browser.PromiseAsync(site, TimeSpan.FromSeconds(1), handoffTo: "eng1");
        await Grain(site, repair).DeclineHandoff(Actor.Staff("eng1"), "No parts until Monday");
        await TextingApp.EventuallyAsync(async () => await Grain(site, repair).Get(),
            v => v!.History.Any(e => e.Type == EventTypes.Escalated), "the repair to be overdue (level 1)");
        await Grain(site, repair).Complete(Actor.Staff("desk1"), null);
        // And one the front desk cancels.
        var taxi = await browser.PromiseAsync(site, TimeSpan.FromHours(1), handoffTo: null);
        await Grain(site, taxi).Cancel(Actor.Staff("desk1"), "Guest took the shuttle");

        var info = (await browser.App.Grains.GetGrain<ISiteGrain>(site).GetInfo())!;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, info.Zone).DateTime);
        await TextingApp.EventuallyAsync(() => IInsightDayGrain.For(browser.App.Grains, site, today).Get(),
            d => d.Teams.Values.Sum(t => t.Completed + t.Cancelled) == 3 && d.Handoffs.Values.Sum(h => h.Accepted + h.Declined) == 2,
            "the day's roll-up to hold all three promises");

        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/insights");
        var housekeeping = page.GetByTestId("team-housekeeping");
        await Assertions.Expect(housekeeping).ToContainTextAsync("100%");
        (await housekeeping.Locator("td").AllTextContentsAsync()).ShouldBe(["1", "100%", "on time", "on time", "0", "—"]);
        var desk = await page.GetByTestId("team-front-desk").Locator("td").AllTextContentsAsync();
        desk[0].ShouldBe("1");
        desk[1].ShouldBe("0%");
        desk[2].ShouldEndWith("min");
        desk[4].ShouldBe("1");
        (await page.GetByTestId("cell-front-desk-housekeeping").TextContentAsync()).ShouldNotBeNull().ShouldContain("1 · 1 · 0");
        (await page.GetByTestId("cell-front-desk-engineering").TextContentAsync()).ShouldNotBeNull().ShouldContain("1 · 0 · 1");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("gap-map");

        // The roll-up is derived: lost, it is counted again from the stored promises.
        var day = IInsightDayGrain.For(browser.App.Grains, site, today);
        var before = System.Text.Json.JsonSerializer.Serialize(Summary(await day.Get()));
        await day.Replace(new InsightDayState());
        using var manager = await browser.App.SignInAsync("mgr1", "999999", site);
        var rebuilt = await manager.PostJsonAsync($"/api/sites/{site}/insights/rebuild");
        (await rebuilt.JsonAsync()).GetProperty("promisesRead").GetInt32().ShouldBe(3);
        System.Text.Json.JsonSerializer.Serialize(Summary(await day.Get())).ShouldBe(before);
        using var staff = await browser.App.SignInAsync("hk2", "2223", site);
        (await staff.PostJsonAsync($"/api/sites/{site}/insights/rebuild")).StatusCode.ShouldBe(System.Net.HttpStatusCode.Forbidden);
    }

    private static object Summary(InsightDayState d) => new
    {
        Teams = d.Teams.OrderBy(t => t.Key).Select(t => new { t.Key, t.Value.Completed, t.Value.OnTime, Late = string.Join(",", t.Value.LateMinutes.Order()), t.Value.Cancelled }),
        Handoffs = d.Handoffs.OrderBy(h => h.Key).Select(h => new { h.Key, h.Value.Offered, h.Value.Accepted, h.Value.Declined, h.Value.AcceptSeconds.Count }),
    };

    [Fact]
    public async Task APromiseTheGuestReopenedWasNotKeptAndTheWordsFitTheCounts()
    {
        var site = await browser.App.NewSiteAsync();
        var towels = await browser.PromiseAsync(site, TimeSpan.FromHours(1), handoffTo: null);
        await Grain(site, towels).Complete(Actor.Staff("desk1"), null);
        var info = (await browser.App.Grains.GetGrain<ISiteGrain>(site).GetInfo())!;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, info.Zone).DateTime);
        var day = IInsightDayGrain.For(browser.App.Grains, site, today);
        await TextingApp.EventuallyAsync(day.Get, d => d.Teams.Values.Sum(t => t.OnTime) == 1, "the promise counted on time");
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/insights");

        // Every day perfect: one promise, said in the singular, and no "worst day".
        var summary = page.GetByTestId("trend-summary");
        await Assertions.Expect(summary).ToHaveTextAsync("100% of 1 promise done on time over the period.");

        // The guest says it was not done: its first completion was not kept, and finishing it again does not count twice.
        await Grain(site, towels).CustomerReplied("NOT DONE");
        await Grain(site, towels).Complete(Actor.Staff("desk1"), null);
        var counted = await TextingApp.EventuallyAsync(day.Get, d => d.Teams.Values.Sum(t => t.OnTime) == 0, "the reopened promise counted as not kept");
        counted.Teams.Values.Sum(t => t.Completed).ShouldBe(1);
        await page.ReloadAsync();
        await page.WaitForInteractiveAsync();
        await Assertions.Expect(summary).ToContainTextAsync("0% of 1 promise done on time over the period; the worst day was");
        await page.GetByText("A promise the guest said was not done counts as not kept on time.", new() { Exact = false }).WaitForAsync();

        // Counted again from the ledger, the same.
        await day.Replace(new InsightDayState());
        using var manager = await browser.App.SignInAsync("mgr1", "999999", site);
        (await manager.PostJsonAsync($"/api/sites/{site}/insights/rebuild")).EnsureSuccessStatusCode();
        var rebuilt = await day.Get();
        (rebuilt.Teams.Values.Sum(t => t.Completed), rebuilt.Teams.Values.Sum(t => t.OnTime)).ShouldBe((1, 0));
    }

    [Fact]
    public async Task TheGapMapIsForManagersOnly()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "hk2", "2223");
        var response = await page.GotoAsync("/insights");
        response.ShouldNotBeNull().Status.ShouldBe(403);
    }
}
