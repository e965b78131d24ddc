using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Commitments;

/// <summary>Done is one tap; for a few seconds the person who tapped it can take it back (issue 15 point 8).</summary>
[Collection(ClusterCollection.Name)]
public sealed class UndoTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheOneWhoMarkedItDoneUndoesItAtOnceAndTheGuestIsNeverTextedDone()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, made) = await site.PromiseAsync(by: "desk1");
        await grain.Complete(Actor.Staff("desk1"), null);
        fixture.Time.Advance(TimeSpan.FromSeconds(5));

        (await Should.ThrowAsync<RuleViolationException>(() => grain.UndoComplete(Actor.Staff("mgr1")))).Kind.ShouldBe(RuleKind.Conflict);
        var view = await grain.UndoComplete(Actor.Staff("desk1"));

        view.Status.ShouldBe(CommitmentStatus.Open);
        view.DueAt.ShouldBe(made.DueAt);
        var undo = view.History[^1];
        (undo.Type, undo.Actor, undo.Details["undo"]).ShouldBe((EventTypes.Reopened, Actor.Staff("desk1"), "true"));
        // The "done" text waited out the undo's moment, and goes nowhere now.
        view.Texts.Single(t => t.Kind == TextKinds.CustomerCompleted).Status.ShouldBe("skipped");
        fixture.Time.Advance(CommitmentGrain.UndoWindow);
        (await grain.BeginDueTexts("test-dispatcher")).Send.ShouldNotContain(t => t.TextId.Contains(TextKinds.CustomerCompleted));
    }

    [Fact]
    public async Task AfterItsMomentDoneStaysDone()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");
        await grain.Complete(Actor.Staff("desk1"), null);
        fixture.Time.Advance(CommitmentGrain.UndoWindow + TimeSpan.FromSeconds(1));

        var refused = await Should.ThrowAsync<RuleViolationException>(() => grain.UndoComplete(Actor.Staff("desk1")));

        refused.Kind.ShouldBe(RuleKind.Conflict);
        refused.Message.ShouldContain("ask a manager to reopen it");
        (await grain.Get())!.Status.ShouldBe(CommitmentStatus.Done);
    }
}
