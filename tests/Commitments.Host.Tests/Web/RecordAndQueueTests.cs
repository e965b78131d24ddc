using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Host.Tests.Texts;
using System.Net.Http.Json;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class RecordAndQueueTests(BrowserFixture browser)
{

    private Task<Guid> Promise(string site, TimeSpan dueIn, string? handoffTo = "hk1", string what = "Extra towels") =>
        browser.PromiseAsync(site, dueIn, handoffTo: handoffTo, what: what, textable: true);

    [Fact]
    public async Task APromiseTheGuestReopenedIsMarkedUntilItIsDoneAgain()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromHours(1), handoffTo: null);
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
        await grain.Complete(Actor.Staff("desk1"), null);
        await grain.CustomerReplied("NOT DONE");
        var desk = await browser.NewDeviceAsync();
        await desk.SignInAsync(site, "desk1", "1111", "/mine");
        var manager = await browser.NewDeviceAsync(1024, 768);
        await manager.SignInAsync(site, "mgr1", "999999", "/queue");

        var mine = desk.GetByTestId($"owned-{id:D}").GetByTestId("guest-reopened");
        (await mine.TextContentAsync()).ShouldNotBeNull().ShouldStartWith("Guest says not done · ");
        await manager.GetByTestId("guest-reopened").WaitForAsync();
        await desk.ShouldBeAccessibleAsync();

        await grain.Complete(Actor.Staff("desk1"), null);
        await grain.Reopen(Actor.Staff("mgr1"), DateTimeOffset.UtcNow.AddHours(1).ToString("O"), "Checking again");
        await Assertions.Expect(mine).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task DoneIsOneTapAndCanBeUndoneForAMoment()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromHours(1), handoffTo: null, what: "Spare key card");
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111", "/mine");
        var card = page.GetByTestId($"owned-{id:D}");

        await card.GetByTestId("done").ClickAsync();
        await Assertions.Expect(page.GetByTestId("mine-message")).ToContainTextAsync("Done: Spare key card.");
        await page.ShouldBeAccessibleAsync();
        await page.GetByTestId("undo").ClickAsync();

        await Assertions.Expect(page.GetByTestId("mine-message")).ToContainTextAsync("Undone: Spare key card is open again");
        await card.WaitForAsync();
        var view = (await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Get())!;
        view.Status.ShouldBe(CommitmentStatus.Open);
        view.History[^1].Details.ShouldContainKey("undo");
        await page.OpenAsync($"/promises/{id:D}");
        await page.GetByTestId("record-history").GetByText("Dana Whitfield undid “done”", new() { Exact = false }).WaitForAsync();
    }

    [Fact]
    public async Task TheRecordOffersWhatTheSignedInPersonMayDo()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromHours(1), handoffTo: "hk1", what: "Extra pillows");
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "hk1", "2222", $"/promises/{id:D}");
        var actions = page.GetByTestId("record-actions");

        // Offered to me: accept or decline; not yet mine to finish.
        await actions.GetByTestId("record-accept").WaitForAsync();
        (await actions.GetByTestId("record-done").CountAsync()).ShouldBe(0);
        await actions.GetByTestId("record-accept").ClickAsync();
        await page.GetByTestId("record-history").GetByText("Maria Lopez accepted it from Dana Whitfield").WaitForAsync();

        // Mine now: done, reschedule, hand off, acknowledge, note.
        foreach (var action in new[] { "record-done", "record-reschedule", "record-handoff", "record-acknowledge", "record-note" })
        {
            await actions.GetByTestId(action).WaitForAsync();
        }

        await actions.GetByTestId("record-reschedule").ClickAsync();
        await page.GetByTestId("record-confirm").ClickAsync();
        await Assertions.Expect(page.GetByTestId("record-message")).ToContainTextAsync("Reason");
        await page.ShouldBeAccessibleAsync();

        await actions.GetByTestId("record-note").ClickAsync();
        await page.Locator("#record-note-text").FillAsync("Feather-free, please");
        await page.GetByTestId("record-confirm").ClickAsync();
        await page.GetByTestId("record-history").GetByText("Maria Lopez added a note: “Feather-free, please”").WaitForAsync();

        await actions.GetByTestId("record-done").ClickAsync();
        await Assertions.Expect(page.GetByTestId("record-status")).ToHaveTextAsync("Done");
        (await actions.GetByTestId("record-done").CountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task TheRecordShowsTheWholeTruthOfOnePromise()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromHours(1));
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "mgr1", "999999", $"/promises/{id:D}");

        (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync()).ShouldBe("Extra towels");
        (await page.GetByTestId("record-owner").TextContentAsync()).ShouldNotBeNull().ShouldContain("Dana Whitfield");
        var history = page.GetByTestId("record-history");
        await history.GetByText("Dana Whitfield made the promise").WaitForAsync();
        await history.GetByText("Dana Whitfield offered it to Maria Lopez").WaitForAsync();
        // The texts the promise caused, with where each one is (numbers masked).
        await page.GetByTestId("record-texts").WaitForAsync();
        (await page.GetByTestId("record-texts").TextContentAsync()).ShouldNotBeNull().ShouldNotContain(TextingApp.OurNumber);
        // In people's words: who was texted, the last digits only, what about, and where it is.
        await page.GetByTestId("record-texts").GetByText("Texted Maria Lopez (recipient), ••", new() { Exact = false }).WaitForAsync();
        (await page.GetByTestId("record-texts").TextContentAsync()).ShouldNotBeNull().ShouldContain(": the offer — ");
        (await history.TextContentAsync()).ShouldNotBeNull().ShouldNotContain("on time: ");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("promise-record");

        // It changes on screen when the promise changes.
        await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).AcceptHandoff(Actor.Staff("hk1"));
        await history.GetByText("Maria Lopez accepted it from Dana Whitfield").WaitForAsync();
        await Assertions.Expect(page.GetByTestId("record-owner")).ToContainTextAsync("Maria Lopez");
    }

    [Fact]
    public async Task AnotherSitesPromiseIsNotFoundEvenByItsId()
    {
        var theirs = await browser.App.NewSiteAsync();
        var id = await Promise(theirs, TimeSpan.FromHours(1));
        var ours = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(ours, "mgr1", "999999", $"/promises/{id:D}");

        await page.GetByText("No such promise").WaitForAsync();
        (await page.ContentAsync()).ShouldNotContain("Ana Silva");
    }

    [Fact]
    public async Task TheQueueShowsANewOverduePromiseLiveAndTheManagerAcknowledgesFromTheRow()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/queue");
        await page.GetByText("Nothing is late or stuck").WaitForAsync();

        // Due in two seconds; the manager's screen is already open and is never reloaded.
        var id = await Promise(site, TimeSpan.FromSeconds(2), handoffTo: null, what: "Taxi to the airport");
        var row = page.GetByTestId($"queue-{id:D}");
        await row.WaitForAsync(new() { Timeout = 20_000 });
        await row.GetByText("Level 1").WaitForAsync(new() { Timeout = 20_000 });
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("queue");

        // The policy's pause (15 min by default), a shorter and a longer one.
        await row.GetByTestId("acknowledge").ClickAsync();
        var choices = await row.Locator("[data-testid^='ack-']").AllTextContentsAsync();
        choices.Select(c => c.Trim()).ShouldBe(["7 min", "15 min (policy)", "30 min"]);
        await page.ShouldBeAccessibleAsync();
        await row.GetByTestId("ack-30").ClickAsync();
        await row.GetByText("Acknowledged by Priya Nair until", new() { Exact = false }).WaitForAsync();
        await Assertions.Expect(row.GetByTestId("acknowledge")).ToHaveTextAsync("Acknowledged · more time");
        var view = await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Get();
        var ack = view.ShouldNotBeNull().History.Last(e => e.Type == EventTypes.Acknowledged);
        ack.Actor.Id.ShouldBe("mgr1");
        view.History.ShouldContain(e => e.Type == EventTypes.Acknowledged && e.Actor.Id == "mgr1");
    }

    [Fact]
    public async Task AManagerReassignsAPromiseWhoseOfferNobodyAccepted()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromSeconds(1), handoffTo: "hk1", what: "Iron and board");
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/queue");
        var row = page.GetByTestId($"queue-{id:D}");
        await row.WaitForAsync(new() { Timeout = 20_000 });

        await row.GetByTestId("reassign").ClickAsync();
        (await row.GetByTestId("reassign-note").TextContentAsync()).ShouldNotBeNull().ShouldContain("Offered to Maria Lopez, not accepted yet");
        await row.GetByLabel("Offer it to").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Sam Okafor (Housekeeping)" }).ClickAsync();
        await row.GetByTestId("confirm-reassign").ClickAsync();

        await row.GetByText("Offered to Sam Okafor", new() { Exact = true }).WaitForAsync();
        var view = (await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Get())!;
        view.PendingHandoff.ShouldNotBeNull().To.ShouldBe("hk2");
    }

    [Fact]
    public async Task AFailedReadSaysSoOnTheQueueAndItKeepsRefreshing()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/queue");
        await page.GetByText("Nothing is late or stuck").WaitForAsync();

        var index = browser.App.Grains.GetGrain<ISiteIndexGrain>(site).GetGrainId();
        using (GrainFaults.Fail(index, nameof(ISiteIndexGrain.Escalations)))
        {
            await page.GetByTestId("queue-stale").WaitForAsync(new() { Timeout = 20_000 });
            (await page.GetByTestId("queue-stale").TextContentAsync()).ShouldNotBeNull().ShouldContain("Could not refresh the queue");
        }

        // The next reads work again: the warning goes and a promise gone late arrives without a reload.
        var id = await Promise(site, TimeSpan.FromSeconds(1), handoffTo: null, what: "Late checkout");
        await page.GetByTestId($"queue-{id:D}").WaitForAsync(new() { Timeout = 20_000 });
        await Assertions.Expect(page.GetByTestId("queue-stale")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task APromiseWithAllTheNotesItCanHoldSaysSoOnThePageAndIsStillDoneInOneTap()
    {
        var site = await browser.App.NewSiteAsync();
        var id = await Promise(site, TimeSpan.FromHours(1), handoffTo: null, what: "Crib for room 301");
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
        for (var i = 0; i < Grains.Commitments.PromiseCaps.Notes; i++)
        {
            await grain.AddNote(Actor.Staff("desk1"), $"Note {i}");
        }

        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "desk1", "1111", "/mine");
        var card = page.GetByTestId($"owned-{id:D}");
        await card.GetByTestId("note").ClickAsync();
        await page.Locator($"#note-{id:N}").FillAsync("One more");
        await card.GetByTestId("confirm-note").ClickAsync();
        await Assertions.Expect(page.GetByTestId("mine-message")).ToContainTextAsync("the most one promise can hold");
        await page.ShouldBeAccessibleAsync();

        await card.GetByTestId("done").ClickAsync();
        await Assertions.Expect(page.GetByTestId("mine-message")).ToContainTextAsync("Done: Crib for room 301.");
        (await grain.Get()).ShouldNotBeNull().Status.ShouldBe(CommitmentStatus.Done);
    }

    [Fact]
    public async Task TheQueueIsOnlyForManagersAndLeads()
    {
        var site = await browser.App.NewSiteAsync();
        await Promise(site, TimeSpan.FromSeconds(1), handoffTo: null);
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "hk2", "2223", "/queue");

        await page.GetByText("The escalation queue is for the site's managers and team leads.").WaitForAsync();
        (await page.ContentAsync()).ShouldNotContain("Ana Silva");
    }

    [Fact]
    public async Task ADeliveryFailureShowsOnTheQueueRowWithoutAReload()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/queue");
        await page.GetByText("Nothing is late or stuck").WaitForAsync();

        // The owner's phone cannot take texts: Twilio reports the level-1 text undelivered.
        (await browser.Host.Control.PostAsJsonAsync("/_fake/lifecycle", new { finalStatus = "undelivered", errorCode = 30005 })).EnsureSuccessStatusCode();
        try
        {
            var id = await Promise(site, TimeSpan.FromSeconds(2), handoffTo: null, what: "Wake-up call");
            var row = page.GetByTestId($"queue-{id:D}");
            await Assertions.Expect(row.GetByTestId("last-text")).ToContainTextAsync("undelivered", new() { Timeout = 20_000 });
        }
        finally
        {
            (await browser.Host.Control.PostAsJsonAsync("/_fake/lifecycle", new { finalStatus = "delivered" })).EnsureSuccessStatusCode();
        }
    }
}
