using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class ShiftTests(BrowserFixture browser)
{

    [Fact]
    public async Task AtTheEndOfAShiftEverythingIsOfferedToOneColleagueAndStaysMineUntilTheyAcceptAll()
    {
        var site = await browser.App.NewSiteAsync();
        await browser.PromiseAsync(site, TimeSpan.FromHours(1), by: "hk1", what: "Extra towels");
        await browser.PromiseAsync(site, TimeSpan.FromHours(2), by: "hk1", what: "Crib for room 210");
        var maria = await browser.NewDeviceAsync();
        await maria.SignInAsync(site, "hk1", "2222", "/mine");
        await Assertions.Expect(maria.Locator("[data-testid^=owned-]")).ToHaveCountAsync(2);

        await maria.GetByTestId("end-of-shift").ClickAsync();
        await maria.GetByLabel("Colleague").ClickAsync();
        await maria.GetByRole(AriaRole.Option, new() { Name = "Sam Okafor (Housekeeping)" }).ClickAsync();
        await maria.GetByTestId("offer-all").ClickAsync();
        await maria.GetByText("Offered 2 to Sam Okafor. Each stays yours until Sam Okafor accepts it.").WaitForAsync();
        // Still Maria's, each waiting for Sam.
        var index = browser.App.Grains.GetGrain<ISiteIndexGrain>(site);
        (await index.Query(new IndexQuery(CommitmentStatus.Open))).ShouldAllBe(e => e.Owner == "hk1" && e.HandoffTo == "hk2");

        var sam = await browser.NewDeviceAsync();
        await sam.SignInAsync(site, "hk2", "2223", "/mine");
        await sam.GetByTestId("accept-all").ClickAsync();
        await sam.GetByText("Accepted 2: they are yours now.").WaitForAsync();
        (await index.Query(new IndexQuery(CommitmentStatus.Open))).ShouldAllBe(e => e.Owner == "hk2" && e.HandoffTo == null);
        // Maria's screen empties by itself.
        await Assertions.Expect(maria.Locator("[data-testid^=owned-]")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task RescheduleNeedsAReasonAndMovesTheDeadline()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await browser.PromiseAsync(site, TimeSpan.FromHours(1), by: "eng1", what: "Repair the reading lamp");
        var tom = await browser.NewDeviceAsync();
        await tom.SignInAsync(site, "eng1", "3333", "/mine");

        var card = tom.GetByTestId($"owned-{id:D}");
        await card.GetByTestId("reschedule").ClickAsync();
        await card.GetByTestId("confirm-reschedule").ClickAsync();
        await card.GetByText("Is required", new() { Exact = false }).WaitForAsync();

        await card.GetByLabel("Reason").FillAsync("Part arrives at noon");
        await card.GetByTestId("confirm-reschedule").ClickAsync();
        await tom.GetByText("Rescheduled. The customer is told the new time.").WaitForAsync();
        var view = await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Get();
        view.ShouldNotBeNull().History.ShouldContain(e => e.Type == EventTypes.Rescheduled);
        view.DueAt.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(80));
    }
}
