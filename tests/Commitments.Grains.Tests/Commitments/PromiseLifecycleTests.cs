using Commitments.Grains.Commitments;
using Commitments.Grains.Common;

namespace Commitments.Grains.Tests.Commitments;

[Collection(ClusterCollection.Name)]
public sealed class PromiseLifecycleTests(ClusterFixture fixture)
{
    [Fact]
    public async Task CompletingRecordsWhetherItWasKeptOnTime()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", dueInMinutes: 30);

        var done = await grain.Complete(Actor.Staff("desk1"), "Delivered");

        done.Status.ShouldBe(CommitmentStatus.Done);
        done.History[^1].Details["onTime"].ShouldBe("true");
        done.History[^1].Details["note"].ShouldBe("Delivered");
    }

    [Fact]
    public async Task CompletingLateIsRecordedAsLate()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", dueInMinutes: 2);
        fixture.Time.Advance(TimeSpan.FromMinutes(3));

        var done = await grain.Complete(Actor.Staff("mgr1"), null);

        done.History[^1].Details["onTime"].ShouldBe("false");
    }

    [Fact]
    public async Task OnlyTheOwnerOrAManagerCanComplete()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.Complete(Actor.Staff("hk1"), null));

        ex.Kind.ShouldBe(RuleKind.Forbidden);
    }

    [Fact]
    public async Task ADonePromiseAcceptsOnlyNotesAndReopen()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        await grain.Complete(Actor.Staff("desk1"), null);
        var desk = Actor.Staff("desk1");

        foreach (var action in new Func<Task>[]
        {
            () => grain.Complete(desk, null),
            () => grain.Reschedule(desk, site.InMinutes(60), "later"),
            () => grain.Cancel(desk, "no"),
            () => grain.ProposeHandoff(desk, "hk1", null),
        })
        {
            var ex = await Should.ThrowAsync<RuleViolationException>(action);
            ex.Kind.ShouldBe(RuleKind.Conflict);
            ex.Message.ShouldContain("done");
        }

        (await grain.AddNote(Actor.Staff("hk2"), "Guest said thanks")).History[^1].Type.ShouldBe(EventTypes.NoteAdded);
    }

    [Fact]
    public async Task RescheduleRecordsOldAndNewAndNeedsAReason()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, created) = await site.PromiseAsync(by: "desk1", dueInMinutes: 30);

        (await Should.ThrowAsync<RuleViolationException>(() => grain.Reschedule(Actor.Staff("desk1"), site.InMinutes(90), ""))).Errors.Keys.ShouldBe(["reason"]);
        var moved = await grain.Reschedule(Actor.Staff("desk1"), site.InMinutes(90), "Guest asked for later");

        moved.DueAt.ShouldBe(fixture.Time.GetUtcNow().AddMinutes(90));
        moved.History[^1].Details["from"].ShouldBe(created.DueAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"));
    }

    [Fact]
    public async Task TheOwnerCancelsWithAReason()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        (await Should.ThrowAsync<RuleViolationException>(() => grain.Cancel(Actor.Staff("hk2"), "no"))).Kind.ShouldBe(RuleKind.Forbidden);
        var cancelled = await grain.Cancel(Actor.Staff("desk1"), "Guest checked out");

        cancelled.Status.ShouldBe(CommitmentStatus.Cancelled);
        cancelled.PendingHandoff.ShouldBeNull();
        cancelled.History[^1].Details["handoffWithdrawn"].ShouldBe("hk1");
    }

    [Fact]
    public async Task AManagerReopensADonePromiseWithTheSameOwner()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");
        await grain.AcceptHandoff(Actor.Staff("hk1"));
        await grain.Complete(Actor.Staff("hk1"), null);

        (await Should.ThrowAsync<RuleViolationException>(() => grain.Reopen(Actor.Staff("hk1"), site.InMinutes(30), "not done"))).Kind.ShouldBe(RuleKind.Forbidden);
        var reopened = await grain.Reopen(Actor.Staff("mgr1"), site.InMinutes(30), "Guest says towels never came");

        reopened.Status.ShouldBe(CommitmentStatus.Open);
        reopened.Owner.ShouldBe("hk1");
        reopened.History[^1].Type.ShouldBe(EventTypes.Reopened);
    }

    [Fact]
    public async Task AnOpenPromiseCannotBeReopened()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");

        (await Should.ThrowAsync<RuleViolationException>(() => grain.Reopen(Actor.Staff("mgr1"), site.InMinutes(30), "x"))).Kind.ShouldBe(RuleKind.Conflict);
    }

    [Fact]
    public async Task HistoryIsAppendOnlyAndNumberedInOrder()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");
        await grain.DeclineHandoff(Actor.Staff("hk1"), "busy");
        await grain.ProposeHandoff(Actor.Staff("desk1"), "hk2", null);
        await grain.AcceptHandoff(Actor.Staff("hk2"));
        await grain.AddNote(Actor.Staff("eng1"), "Checked the pipe too");
        var view = await grain.Complete(Actor.Staff("hk2"), null);

        view.History.Select(e => e.Seq).ShouldBe([1, 2, 3, 4, 5, 6, 7]);
        view.History.Select(e => e.Type).ShouldBe([
            EventTypes.Created, EventTypes.HandoffProposed, EventTypes.HandoffDeclined, EventTypes.HandoffProposed,
            EventTypes.HandoffAccepted, EventTypes.NoteAdded, EventTypes.Completed]);
        view.History.Select(e => e.Actor.Id).ShouldBe(["desk1", "desk1", "hk1", "desk1", "hk2", "eng1", "hk2"]);
    }

    [Fact]
    public async Task ActionsOnAnUnknownPromiseAreNotFound()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.Commitment(Guid.NewGuid()).Complete(Actor.Staff("desk1"), null));

        ex.Kind.ShouldBe(RuleKind.NotFound);
    }
}
