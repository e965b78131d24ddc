using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Escalation;

/// <summary>The grain's escalation steps, driven as the scheduler drives them, on a clock the tests move.</summary>
[Collection(ClusterCollection.Name)]
public sealed class EscalationTests(ClusterFixture fixture)
{
    private static string[] Types(CommitmentView v, params string[] only) =>
        [.. v.History.Select(e => e.Type).Where(t => only.Length == 0 || only.Contains(t))];

    private async Task<(TestSite Site, ICommitmentGrain Grain, CommitmentView View)> OwnedByHk1Async(int dueInMinutes = 30)
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk2", new StaffInput(null, null, null, null, null, null, Lead: true));
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1", dueInMinutes: dueInMinutes, mobile: "+12025550181");
        var view = await grain.AcceptHandoff(Actor.Staff("hk1"));
        return (site, grain, view);
    }

    [Fact]
    public async Task EachStepRunsOnceAtItsMomentAndTextsTheRightPeople()
    {
        var (_, grain, created) = await OwnedByHk1Async();
        var due = created.DueAt;

        fixture.Time.SetUtcNow(due.AddMinutes(-15));
        (await grain.Escalate()).Ran.ShouldBe(["reminder"]);
        (await grain.Escalate()).Ran.ShouldBeEmpty();

        fixture.Time.SetUtcNow(due);
        (await grain.Escalate()).Ran.ShouldBe(["level-1"]);
        fixture.Time.SetUtcNow(due.AddMinutes(10));
        var level2 = await grain.Escalate();
        level2.Ran.ShouldBe(["level-2"]);
        level2.NextAt.ShouldBe(due.AddMinutes(15));

        var view = (await grain.Get())!;
        var escalations = view.History.Where(e => e.Type == EventTypes.Escalated).ToList();
        escalations.Select(e => e.Details["texted"]).ShouldBe(["hk1", "hk1,hk2"]);
        escalations[1].Details["late"].ShouldBe("10");
        view.Texts.Where(t => t.Kind is "reminder" or "overdue").Select(t => $"{t.Kind}:{t.RecipientRole}")
            .ShouldBe(["reminder:owner", "overdue:owner", "overdue:owner", "overdue:escalation"]);
    }

    [Fact]
    public async Task StepsDueWhileNobodyRanThemAllRunOnceWhenItIsCalledAgain()
    {
        var (_, grain, created) = await OwnedByHk1Async();

        fixture.Time.SetUtcNow(created.DueAt.AddMinutes(25));
        var run = await grain.Escalate();

        run.Ran.ShouldBe(["reminder", "level-1", "level-2", "apology", "level-3"]);
        var view = (await grain.Get())!;
        view.History.Single(e => e.Type == EventTypes.Reminded).Details.ShouldContainKey("skipped");
        (await grain.Escalate()).Ran.ShouldBeEmpty();
    }

    [Fact]
    public async Task TheCustomerGetsOneApologyUntilTheDeadlineMoves()
    {
        var (site, grain, created) = await OwnedByHk1Async();
        fixture.Time.SetUtcNow(created.DueAt.AddMinutes(15));
        await grain.Escalate();
        (await grain.Get())!.Texts.Count(t => t.Kind == "apology").ShouldBe(1);

        await grain.Reschedule(Actor.Staff("hk1"), site.InMinutes(5), "Laundry was late");
        fixture.Time.Advance(TimeSpan.FromMinutes(20));
        await grain.Escalate();

        (await grain.Get())!.Texts.Count(t => t.Kind == "apology").ShouldBe(2);
    }

    [Fact]
    public async Task AnAcknowledgementStopsRepeatsAndHoldsTheNextLevel()
    {
        var (_, grain, created) = await OwnedByHk1Async();
        var due = created.DueAt;
        fixture.Time.SetUtcNow(due.AddMinutes(10));
        await grain.Escalate();

        await grain.Acknowledge(Actor.Staff("hk2"), minutes: 20);
        fixture.Time.SetUtcNow(due.AddMinutes(20));
        (await grain.Escalate()).Ran.ShouldNotContain("level-3");

        fixture.Time.SetUtcNow(due.AddMinutes(30));
        (await grain.Escalate()).Ran.ShouldContain("level-3");
    }

    [Fact]
    public async Task OnlyTheOwnerALeadOrAManagerCanAcknowledge()
    {
        var (_, grain, _) = await OwnedByHk1Async();

        (await Should.ThrowAsync<RuleViolationException>(() => grain.Acknowledge(Actor.Staff("desk1")))).Kind.ShouldBe(RuleKind.Forbidden);
        (await grain.Acknowledge(Actor.Staff("hk1"))).History[^1].Type.ShouldBe(EventTypes.Acknowledged);
    }

    [Fact]
    public async Task DoneStopsEverything()
    {
        var (_, grain, created) = await OwnedByHk1Async();
        await grain.Complete(Actor.Staff("hk1"), null);

        fixture.Time.SetUtcNow(created.DueAt.AddHours(2));

        var run = await grain.Escalate();
        run.Ran.ShouldBeEmpty();
        run.NextAt.ShouldBeNull();
    }

    [Fact]
    public async Task AnUnacceptedHandoffAlertsTheProposerAndTheRecipientsLeads()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk2", new StaffInput(null, null, null, null, null, null, Lead: true));
        var (grain, created) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1", dueInMinutes: 120, mobile: "+12025550182");

        fixture.Time.Advance(TimeSpan.FromMinutes(10));
        (await grain.Escalate()).Ran.ShouldBe(["handoff-stalled"]);

        var stalled = (await grain.Get())!.History.Single(e => e.Type == EventTypes.HandoffStalled);
        stalled.Details["texted"].ShouldBe("desk1,hk2");
        (await grain.Get())!.Owner.ShouldBe("desk1");
    }

    [Fact]
    public async Task ALevelWithNobodyReachableIsSkippedAndSaysSo()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, created) = await site.PromiseAsync(by: "desk1", dueInMinutes: 30, mobile: "+12025550183");

        fixture.Time.SetUtcNow(created.DueAt.AddMinutes(10));
        await grain.Escalate();

        var level2 = (await grain.Get())!.History.Last(e => e.Type == EventTypes.Escalated);
        level2.Details["level"].ShouldBe("2");
        level2.Details["texted"].ShouldBe("desk1");
        var policy = await site.Site.GetPolicy("front-desk");
        await site.Site.SetPolicy(Actor.Staff("mgr1"), "front-desk", policy with
        {
            Levels = [.. policy.Levels, new(TimeSpan.FromMinutes(40), ["leads"])],
        });
        fixture.Time.SetUtcNow(created.DueAt.AddMinutes(40));
        await grain.Escalate();
        (await grain.Get())!.History.Last(e => e.Type == EventTypes.Escalated).Details.ShouldContainKey("skipped");
    }

    [Fact]
    public async Task AStaffPhoneThatTextedStopIsSkippedAndOneThatTextedStartIsTextedAgain()
    {
        var (site, grain, created) = await OwnedByHk1Async();
        var phone = global::Commitments.Grains.Texts.IHandsetGrain.For(fixture.Grains, (await site.Site.GetStaff("hk1"))!.Mobile);

        // STOP from hk1's phone: the handset tells the site (one way), and escalation skips hk1 without asking the phone.
        await phone.SetOptedOut(true);
        await UntilAsync(async () => (await site.Site.GetStaff("hk1"))!.OptedOut);
        fixture.Time.SetUtcNow(created.DueAt);
        (await grain.Escalate()).Ran.ShouldContain("level-1");
        var level1 = (await grain.Get())!.History.Last(e => e.Type == EventTypes.Escalated);
        level1.Details.ShouldContainKey("skipped");

        // START: texted again at the next level.
        await phone.SetOptedOut(false);
        await UntilAsync(async () => !(await site.Site.GetStaff("hk1"))!.OptedOut);
        fixture.Time.SetUtcNow(created.DueAt.AddMinutes(10));
        (await grain.Escalate()).Ran.ShouldContain("level-2");
        (await grain.Get())!.History.Last(e => e.Type == EventTypes.Escalated).Details["texted"].ShouldBe("hk1,hk2");
    }

    [Fact]
    public async Task ASiteThatWronglyThinksAPhoneOptedOutNeverSilencesALevel()
    {
        var (site, grain, created) = await OwnedByHk1Async();
        var mobile = (await site.Site.GetStaff("hk1"))!.Mobile;

        // The site's copy says "opted out" (a lost START, say), the phone's own grain says not.
        await site.Site.StaffPhoneOptedOut("hk1", global::Commitments.Grains.Texts.IHandsetGrain.KeyFor(mobile), true);
        await UntilAsync(async () => (await site.Site.GetStaff("hk1"))!.OptedOut);

        fixture.Time.SetUtcNow(created.DueAt);
        await grain.Escalate();
        (await grain.Get())!.History.Last(e => e.Type == EventTypes.Escalated).Details["texted"].ShouldBe("hk1");
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        // Each probe is a grain call, queued behind the one-way message it waits for.
        for (var i = 0; i < 10_000; i++)
        {
            if (await condition())
            {
                return;
            }
        }

        throw new TimeoutException("The site never heard from the phone.");
    }

    [Fact]
    public async Task AStepPreparedAheadSendsItsTextsOnceAtItsMoment()
    {
        var (grain, created, staged) = await PreparedAheadAsync();
        var due = created.DueAt;
        staged.Texts.Single(t => t.Kind == "overdue").Status.ShouldBe("attempting");
        Types(staged, EventTypes.Escalated).ShouldBeEmpty();
        fixture.Signal.SentFor(created.Id).ShouldBeEmpty();

        // The grain's own timer (on the injected clock) takes it at the moment; calling again changes nothing.
        fixture.Time.SetUtcNow(due);
        await grain.Escalate();
        await grain.EscalateAt(due);

        var view = (await grain.Get())!;
        var escalated = view.History.Single(e => e.Type == EventTypes.Escalated);
        escalated.Details["texted"].ShouldBe("hk1");
        escalated.At.ShouldBe(due);
        var sent = fixture.Signal.SentFor(created.Id).ShouldHaveSingleItem();
        sent.TextId.ShouldBe(view.Texts.Single(t => t.Kind == "overdue").Id);
        sent.Body.ShouldContain("late: ");
    }

    [Fact]
    public async Task AStepPreparedAheadIsDroppedUnsentWhenThePromiseIsDoneFirst()
    {
        var (grain, created, _) = await PreparedAheadAsync();
        var due = created.DueAt;

        await grain.Complete(Actor.Staff("hk1"), null);
        fixture.Time.SetUtcNow(due.AddSeconds(1));
        await grain.Escalate();

        var view = (await grain.Get())!;
        view.Texts.ShouldNotContain(t => t.Kind == "overdue");
        Types(view, EventTypes.Escalated).ShouldBeEmpty();
        fixture.Signal.SentFor(created.Id).ShouldBeEmpty();
    }

    [Theory]
    [InlineData(30)]
    [InlineData(31)]
    [InlineData(90)]
    public async Task AStepSentFromMemoryWhoseRecordIsLostIsLookedUpAtTwilioNotSentAgain(int rerunAfterSeconds)
    {
        var (grain, created, _) = await PreparedAheadAsync();
        var due = created.DueAt;

        // The moment comes: the grain's own timer hands the text to the dispatcher; nothing is written yet.
        fixture.Time.SetUtcNow(due);
        var first = await SentAsync(grain, created.Id);

        // The activation goes before its write (as in a crash): storage has no record of the step.
        await CrashAsync(grain);
        // Re-run late (a restart, a slow reconcile pass): past 30 s the minutes late would round to 1.
        fixture.Time.SetUtcNow(due.AddSeconds(rerunAfterSeconds));
        (await grain.Escalate()).Ran.ShouldContain("level-1");

        // The re-run's text goes to the dispatcher at once, marked to be looked up at Twilio first.
        var overdue = (await grain.Get())!.Texts.Single(t => t.Kind == "overdue");
        overdue.Status.ShouldBe("attempting");
        var handed = fixture.Signal.SentFor(created.Id);
        handed.Count.ShouldBe(2);
        var again = handed[1];
        again.TextId.ShouldBe(overdue.Id);
        again.LookUpSince.ShouldBe(due, "the dispatcher looks for the text sent at the moment before sending");
        again.Body.ShouldBe(first.Body, "worded as at the moment, so the look-up finds it");
        (await grain.BeginDueTexts(fixture.Signal.DispatcherId)).Send.ShouldNotContain(t => t.TextId == overdue.Id, "in the dispatcher's hands, never handed twice");
    }

    [Fact]
    public async Task ARerunStepWhoseTextTheLimiterHoldsIsStillLookedUpWhenReleased()
    {
        // Two promises of hk1 due at the same moment; A's step is prepared ahead and sent from memory.
        var (site, grainA, createdA) = await OwnedByHk1Async();
        var (grainB, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1", mobile: "+12025550182");
        await grainB.AcceptHandoff(Actor.Staff("hk1"));
        var due = createdA.DueAt;
        fixture.Time.SetUtcNow(due.AddSeconds(-5));
        await grainA.EscalateAt(due);
        await PreparedAsync(grainA);
        fixture.Time.SetUtcNow(due);
        await SentAsync(grainA, createdA.Id);

        // A restart: A's record of the step and the limiter's memory of what it let through are gone.
        await CrashAsync(grainA);
        await global::Commitments.Grains.Escalation.ITextLimiterGrain.For(fixture.Grains, site.Id).Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        // B's step goes first in the new process, so hk1 has had a text this minute...
        fixture.Time.SetUtcNow(due.AddSeconds(5));
        (await grainB.Escalate()).Ran.ShouldContain("level-1");
        // ...and A's re-run text is held by the per-person limit.
        fixture.Time.SetUtcNow(due.AddSeconds(30));
        (await grainA.Escalate()).Ran.ShouldContain("level-1");
        (await grainA.Get())!.Texts.Single(t => t.Kind == "overdue").Status.ShouldBe("held");

        // Released a minute later, it is looked up at Twilio before any send, like any re-run text.
        fixture.Time.SetUtcNow(due.AddSeconds(70));
        await grainA.Escalate();
        var overdue = (await grainA.Get())!.Texts.Single(t => t.Kind == "overdue");
        var work = await grainA.BeginDueTexts("next-dispatcher");
        work.Send.Single(t => t.TextId == overdue.Id).LookUpSince.ShouldBe(due);
    }

    [Fact]
    public async Task AStepWhoseWriteFailsAfterItsTextWentIsWrittenSoonWithTheSidTwilioGave()
    {
        var (grain, created, _) = await PreparedAheadAsync();
        var due = created.DueAt;
        fixture.Time.SetUtcNow(due);
        var sent = await SentAsync(grain, created.Id);
        // Twilio accepted it; the answer waits in memory for the step's write...
        await grain.RecordSendOutcome(sent.TextId, new SendOutcome("SM" + new string('a', 32), "queued", null, null, Final: false));

        // ...which fails (storage unreachable for a moment).
        fixture.Storage.FailNextWrites(grain.GetGrainId());
        fixture.Time.Advance(EscalationTiming.AdoptAfter);
        await WaitAsync(() => fixture.Storage.FailuresLeft(grain.GetGrainId()) == 0, grain);
        // The failed write's turn reloads the promise and arms the retry; a call runs only after that
        // turn, so the retry's timer exists before the clock moves.
        await grain.Get();

        // The same activation tries again a moment later, without waiting for the minute's reconcile pass.
        fixture.Time.Advance(EscalationTiming.WriteRetryDelays[0]);
        var view = await WaitForAsync(grain, v => v.History.Any(e => e.Type == EventTypes.Escalated));
        view.History.Count(e => e.Type == EventTypes.Escalated).ShouldBe(1);
        var overdue = view.Texts.Single(t => t.Kind == "overdue");
        overdue.Status.ShouldBe("queued", "recorded with what Twilio said, not sent again nor left to look up");
        (await grain.SubmittedSid(overdue.Id)).ShouldBe("SM" + new string('a', 32));
        (await grain.BeginDueTexts("next-dispatcher")).Send.ShouldNotContain(t => t.TextId == overdue.Id);
        fixture.Signal.SentFor(created.Id).Count.ShouldBe(1);
    }

    [Fact]
    public async Task AGracefulStopRightAfterAStepsTextWentWritesTheStep()
    {
        var (grain, created, _) = await PreparedAheadAsync();
        fixture.Time.SetUtcNow(created.DueAt);
        var sent = await SentAsync(grain, created.Id);
        await grain.RecordSendOutcome(sent.TextId, new SendOutcome("SM" + new string('b', 32), "queued", null, null, Final: false));

        // Deactivated (a graceful stop) before the step's write a moment later: it is written on the way out, with the SID.
        await grain.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        var view = (await grain.Get())!;
        view.History.Count(e => e.Type == EventTypes.Escalated).ShouldBe(1);
        view.Texts.Single(t => t.Kind == "overdue").Id.ShouldBe(sent.TextId);
        (await grain.SubmittedSid(sent.TextId)).ShouldBe("SM" + new string('b', 32));

        // The next activation has the step on record: it is not taken again, nor its text looked up.
        fixture.Time.Advance(TimeSpan.FromSeconds(30));
        (await grain.Escalate()).Ran.ShouldNotContain("level-1");
        (await grain.BeginDueTexts("next-dispatcher")).Send.ShouldNotContain(t => t.TextId == sent.TextId);
        fixture.Signal.SentFor(created.Id).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ATextAProcessHadInHandWhenItStoppedIsSentByTheNextProcessAsSoonAsThePromiseIsRead()
    {
        var (grain, created, _) = await PreparedAheadAsync();

        // Its earlier texts (to the customer, the handoff) went and Twilio took them: only the step's text is left to send.
        foreach (var earlier in (await grain.BeginDueTexts(fixture.Signal.DispatcherId)).Send)
        {
            await grain.RecordSendOutcome(earlier.TextId, new SendOutcome("SM" + Guid.NewGuid().ToString("N"), "queued", null, null, Final: true));
        }

        fixture.Time.SetUtcNow(created.DueAt);
        var sent = await SentAsync(grain, created.Id);

        // The stop comes before Twilio answered: the step is written on the way out, its text still in that dispatcher's hands.
        await grain.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        var restarted = fixture.Signal.DispatcherId;
        fixture.Signal.DispatcherId = "dispatcher-after-restart";
        try
        {
            var before = fixture.Signal.ReadyCount(created.Id);
            fixture.Time.Advance(TimeSpan.FromSeconds(3));
            (await grain.Get())!.History.Count(e => e.Type == EventTypes.Escalated).ShouldBe(1);

            // Read back (here by a call; after a restart by the reconcile pass), it tells the new dispatcher at once,
            // which looks the text up at Twilio before sending it: no sweep of every site's index to wait for.
            fixture.Signal.ReadyCount(created.Id).ShouldBeGreaterThan(before);
            var work = await grain.BeginDueTexts(fixture.Signal.DispatcherId);
            work.Send.ShouldHaveSingleItem().TextId.ShouldBe(sent.TextId);
            work.Send[0].LookUpSince.ShouldBe(created.DueAt);
        }
        finally
        {
            fixture.Signal.DispatcherId = restarted;
        }
    }

    /// <summary>The activation goes without writing anything more (as in a crash of the process).</summary>
    private async Task CrashAsync(ICommitmentGrain grain)
    {
        fixture.Storage.FailNextWrites(grain.GetGrainId());
        await grain.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        // A call reaches a new activation only once the old one is gone: its adopt timer can no
        // longer fire (and write the step) when the clock moves on.
        await grain.Get();
        fixture.Storage.FailNextWrites(grain.GetGrainId(), 0);
    }

    private static async Task WaitAsync(Func<bool> condition, ICommitmentGrain grain)
    {
        // Each probe is a grain call queued behind the grain's own turns.
        for (var i = 0; i < 10_000 && !condition(); i++)
        {
            await grain.Get();
        }

        condition().ShouldBeTrue();
    }

    private static async Task<CommitmentView> WaitForAsync(ICommitmentGrain grain, Func<CommitmentView, bool> condition)
    {
        for (var i = 0; i < 10_000; i++)
        {
            var view = (await grain.Get())!;
            if (condition(view))
            {
                return view;
            }
        }

        throw new TimeoutException("The promise never got there.");
    }

    private async Task<TextToSend> SentAsync(ICommitmentGrain grain, Guid id)
    {
        for (var i = 0; i < 10_000; i++)
        {
            await grain.Get();
            if (fixture.Signal.SentFor(id) is [var sent])
            {
                return sent;
            }
        }

        throw new TimeoutException("The prepared text was never handed to the dispatcher.");
    }

    /// <summary>A promise owned by hk1 whose level-1 step a job woke 5 s ahead, prepared.</summary>
    private async Task<(ICommitmentGrain Grain, CommitmentView Created, CommitmentView Prepared)> PreparedAheadAsync()
    {
        var (_, grain, created) = await OwnedByHk1Async();
        fixture.Time.SetUtcNow(created.DueAt.AddSeconds(-5));
        await grain.EscalateAt(created.DueAt);
        return (grain, created, await PreparedAsync(grain));
    }

    /// <summary>The job returns at once and the grain prepares the step in its own turn: wait for it.</summary>
    private static async Task<CommitmentView> PreparedAsync(ICommitmentGrain grain)
    {
        // Each probe is a grain call queued behind the grain's own turns: polling on the grain, not on a clock.
        for (var i = 0; i < 10_000; i++)
        {
            var view = (await grain.Get())!;
            if (view.Texts.Any(t => t.Kind == "overdue"))
            {
                return view;
            }
        }

        throw new TimeoutException("The step was never prepared.");
    }
}
