using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Texts;

/// <summary>The outbox rules, driven as the dispatcher drives them (no Twilio here: outcomes are reported by hand).</summary>
[Collection(ClusterCollection.Name)]
public sealed class OutboxTests(ClusterFixture fixture)
{
    private const string Dispatcher = "test-dispatcher";

    [Fact]
    public async Task TheCustomersFirstTextWaitsTwoMinutesForTheHandoffThenNamesTheMaker()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        var now = await grain.BeginDueTexts(Dispatcher);
        now.Send.Select(t => t.TextId).ShouldBe(["2:handoff-offered:hk1"]);

        fixture.Time.Advance(TextPlanner.HandoffGrace);
        var later = await grain.BeginDueTexts(Dispatcher);

        var created = later.Send.Single(t => t.TextId.Contains("customer-created"));
        created.TextId.ShouldBe("1:customer-created:customer");
        created.Body.ShouldContain("Dana Desk de front-desk");
    }

    [Fact]
    public async Task ForASoonDeadlineTheFirstTextWaitsAThirdOfTheTimeLeftNotTwoMinutes()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1", dueInMinutes: 3);

        fixture.Time.Advance(TimeSpan.FromSeconds(59));
        (await grain.BeginDueTexts(Dispatcher)).Send.ShouldNotContain(t => t.TextId.Contains("customer-created"));
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var created = (await grain.BeginDueTexts(Dispatcher)).Send.Single(t => t.TextId.Contains("customer-created"));

        // Sent two minutes before the time it promises, naming who owns it then.
        created.Body.ShouldContain("Dana Desk");
    }

    [Fact]
    public async Task ACustomerWithoutALanguageWeSpeakGetsTheSitesLanguage()
    {
        var site = await fixture.NewSiteAsync(language: "es");
        var grain = site.Commitment(Guid.NewGuid());
        await grain.Create(Actor.Staff("desk1"), new NewCommitment("Taxi", new CustomerInput("Jean", "+12025550166", null, true, "fr"), site.InMinutes(60), null, null));

        var text = (await grain.BeginDueTexts(Dispatcher)).Send.Single();

        text.Body.ShouldStartWith("Test Hotel: le prometimos Taxi");
    }

    [Fact]
    public async Task AnAttemptByASiloThatIsGoneIsLookedUpByTheNextDispatcher()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        // A silo membership does not know as alive (declared dead, or long gone).
        var first = (await grain.BeginDueTexts("gone-silo")).Send.Single();
        first.LookUpSince.ShouldBeNull();

        (await grain.BeginDueTexts("gone-silo")).Send.ShouldBeEmpty();
        var other = (await grain.BeginDueTexts(Dispatcher)).Send.Single();

        other.LookUpSince.ShouldBe(fixture.Time.GetUtcNow());
        other.Body.ShouldBe(first.Body);
    }

    [Fact]
    public async Task AnAttemptByALiveSiloIsNotTakenOverUntilItsClaimRunsOut()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        var claimedAt = fixture.Time.GetUtcNow();
        var first = (await grain.BeginDueTexts(Dispatcher)).Send.Single();

        (await grain.BeginDueTexts("another-silo")).Send.ShouldBeEmpty();
        fixture.Time.Advance(TextOutboxes.AttemptLease);
        var other = (await grain.BeginDueTexts("another-silo")).Send.Single();

        other.LookUpSince.ShouldBe(claimedAt);
        other.Body.ShouldBe(first.Body);
    }

    [Fact]
    public async Task TheSitesSweepWakesAPromiseWithATextDueSoItsOwnSilosDispatcherSendsIt()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, view) = await site.PromiseAsync(by: "desk1");
        await fixture.Grains.GetGrain<ISiteIndexGrain>(site.Id).Flush();
        var before = fixture.Signal.ReadyCount(view.Id);

        await fixture.Grains.GetGrain<ISiteIndexGrain>(site.Id).SweepTexts(TimeSpan.FromMinutes(1), TimeSpan.Zero);

        await fixture.Signal.WaitForReadyAsync(view.Id, before);
    }

    [Fact]
    public async Task AStatusNeverGoesBackwards()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        var text = (await grain.BeginDueTexts(Dispatcher)).Send.Single();
        await grain.RecordSendOutcome(text.TextId, new SendOutcome("SM1", "queued", null, null, Final: true));

        await grain.UpdateTextStatus(text.TextId, "SM1", "delivered", null);
        await grain.UpdateTextStatus(text.TextId, "SM1", "sent", null);
        await grain.UpdateTextStatus(text.TextId, "SM2", "failed", 30003);

        var view = (await grain.Get())!.Texts.Single();
        view.Status.ShouldBe("delivered");
        view.ErrorCode.ShouldBeNull();
    }

    [Fact]
    public async Task AStatusStuckBelowFinalIsPolledThenLeftAlone()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", mobile: "+12025550178");
        var text = (await grain.BeginDueTexts(Dispatcher)).Send.Single();
        await grain.RecordSendOutcome(text.TextId, new SendOutcome("SM9", "queued", null, null, Final: true));

        var polls = new List<int>();
        foreach (var delay in OutboundText.PollDelays)
        {
            (await grain.BeginDueTexts(Dispatcher)).Poll.ShouldBeEmpty();
            fixture.Time.Advance(delay);
            polls.Add((await grain.BeginDueTexts(Dispatcher)).Poll.Count);
        }

        polls.ShouldBe([1, 1, 1]);
        fixture.Time.Advance(TimeSpan.FromDays(1));
        (await grain.BeginDueTexts(Dispatcher)).Poll.ShouldBeEmpty();
    }

    [Fact]
    public async Task TwilioSaying21610OptsTheNumberOutAndLaterTextsAreSkipped()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", mobile: "+12025550177");
        var text = (await grain.BeginDueTexts(Dispatcher)).Send.Single();

        await grain.RecordSendOutcome(text.TextId, new SendOutcome(null, null, 21610, null, Final: true, OptedOut: true));
        var failed = (await grain.Get())!.Texts.Single();
        failed.Status.ShouldBe("failed");
        failed.Reason!.ShouldContain("STOP");

        await grain.Reschedule(Actor.Staff("desk1"), site.InMinutes(90), "later");
        await IHandsetGrain.For(fixture.Grains, "+12025550177").IsOptedOut().ShouldBeAsync(true);
        (await grain.BeginDueTexts(Dispatcher)).Send.ShouldBeEmpty();
        (await grain.Get())!.Texts.Last().Status.ShouldBe("skipped");
    }

    [Fact]
    public async Task AFailureThatMayBeTemporaryIsTriedAgainLater()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        var text = (await grain.BeginDueTexts(Dispatcher)).Send.Single();

        await grain.RecordSendOutcome(text.TextId, new SendOutcome(null, null, null, "Twilio did not answer", Final: false));
        (await grain.BeginDueTexts(Dispatcher)).Send.ShouldBeEmpty();
        fixture.Time.Advance(TimeSpan.FromSeconds(2));

        (await grain.BeginDueTexts(Dispatcher)).Send.Single().LookUpSince.ShouldNotBeNull();
    }
}

internal static class TaskAssertions
{
    public static async Task ShouldBeAsync<T>(this Task<T> task, T expected) => (await task).ShouldBe(expected);
}
