using Commitments.Grains.Commitments;
using Commitments.Grains.Common;

namespace Commitments.Grains.Tests.Handoffs;

[Collection(ClusterCollection.Name)]
public sealed class HandoffTests(ClusterFixture fixture)
{
    [Fact]
    public async Task HandoffStaysWithTheOwnerUntilAccepted()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");

        var offered = await grain.ProposeHandoff(Actor.Staff("desk1"), "hk1", "Bring 4 towels");
        offered.Owner.ShouldBe("desk1");
        offered.PendingHandoff!.Note.ShouldBe("Bring 4 towels");

        var accepted = await grain.AcceptHandoff(Actor.Staff("hk1"));
        accepted.Owner.ShouldBe("hk1");
        accepted.PendingHandoff.ShouldBeNull();
        accepted.History[^1].Type.ShouldBe(EventTypes.HandoffAccepted);
        accepted.History[^1].Details["from"].ShouldBe("desk1");
    }

    [Fact]
    public async Task OnlyTheNamedRecipientCanAccept()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        foreach (var other in new[] { "hk2", "desk1", "mgr1" })
        {
            var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.AcceptHandoff(Actor.Staff(other)));
            ex.Kind.ShouldBe(RuleKind.Forbidden);
        }

        (await grain.Get())!.Owner.ShouldBe("desk1");
    }

    [Fact]
    public async Task DecliningNeedsAReasonAndLeavesTheOwner()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        var noReason = await Should.ThrowAsync<RuleViolationException>(() => grain.DeclineHandoff(Actor.Staff("hk1"), " "));
        noReason.Errors.Keys.ShouldBe(["reason"]);

        var declined = await grain.DeclineHandoff(Actor.Staff("hk1"), "Off shift in 5 minutes");
        declined.Owner.ShouldBe("desk1");
        declined.PendingHandoff.ShouldBeNull();
        declined.History[^1].Details["reason"].ShouldBe("Off shift in 5 minutes");
    }

    [Fact]
    public async Task OnlyOneHandoffCanBePendingAtATime()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.ProposeHandoff(Actor.Staff("desk1"), "hk2", null));

        ex.Kind.ShouldBe(RuleKind.Conflict);
        ex.Message.ShouldContain("hk1");
    }

    [Fact]
    public async Task OnlyTheOwnerOrAManagerCanOfferAHandoff()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.ProposeHandoff(Actor.Staff("hk2"), "hk1", null));
        ex.Kind.ShouldBe(RuleKind.Forbidden);

        var byManager = await grain.ProposeHandoff(Actor.Staff("mgr1"), "hk1", null);
        byManager.PendingHandoff!.From.ShouldBe("mgr1");
        byManager.Owner.ShouldBe("desk1");
    }

    [Fact]
    public async Task TheProposerTheOwnerOrAManagerCanWithdraw()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        (await Should.ThrowAsync<RuleViolationException>(() => grain.WithdrawHandoff(Actor.Staff("hk2")))).Kind.ShouldBe(RuleKind.Forbidden);
        var withdrawn = await grain.WithdrawHandoff(Actor.Staff("desk1"));

        withdrawn.PendingHandoff.ShouldBeNull();
        withdrawn.History[^1].Type.ShouldBe(EventTypes.HandoffWithdrawn);
        (await Should.ThrowAsync<RuleViolationException>(() => grain.WithdrawHandoff(Actor.Staff("desk1")))).Kind.ShouldBe(RuleKind.Conflict);
    }

    [Fact]
    public async Task AcceptingWithNothingPendingIsAConflict()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync(by: "desk1");

        (await Should.ThrowAsync<RuleViolationException>(() => grain.AcceptHandoff(Actor.Staff("hk1")))).Kind.ShouldBe(RuleKind.Conflict);
    }

    [Fact]
    public async Task ADeactivatedPersonCannotBeHandedAnything()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.DeactivateStaff(Actor.Staff("mgr1"), "hk2");
        var (grain, _) = await site.PromiseAsync(by: "desk1");

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.ProposeHandoff(Actor.Staff("desk1"), "hk2", null));

        ex.Errors.Keys.ShouldBe(["to"]);
    }
}
