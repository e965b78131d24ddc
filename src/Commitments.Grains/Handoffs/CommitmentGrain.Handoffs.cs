using Commitments.Grains.Common;
using Commitments.Grains.Handoffs;

// The handoff rules live with the feature's name (Handoffs/) but belong to the commitment grain,
// which is the aggregate that enforces them; hence the grain's namespace here.
namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
    public async Task<CommitmentView> ProposeHandoff(Actor actor, string? to, string? note)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        RequireOwnerOrManager(staff, "hand off");
        if (State.PendingHandoff is { } pending)
        {
            throw RuleViolationException.Conflict(
                $"A handoff to {pending.To} is already pending; it must be accepted, declined or withdrawn first.");
        }

        var v = new Validation();
        var recipientId = v.Text("to", to, 1, 40);
        note = v.Text("note", note, 1, MaxTextLength, required: false);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(State, PromiseCaps.Handoffs, "handoffs offered", EventTypes.HandoffProposed);
        var recipient = await RequireRecipient("to", recipientId!, owner: State.Owner);

        var now = time.GetUtcNow();
        State.PendingHandoff = new(recipient.Id, staff.Id, note, now);
        Append(actor, now, EventTypes.HandoffProposed, WithNote(new() { ["to"] = recipient.Id, ["from"] = staff.Id }, note));
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> WithdrawHandoff(Actor actor)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("changed");
        var pending = State.PendingHandoff
            ?? throw RuleViolationException.Conflict("There is no pending handoff to withdraw.");
        if (staff.Id != pending.From && staff.Id != State.Owner && !staff.IsManager)
        {
            throw RuleViolationException.Forbidden("Only the person who offered the handoff, the owner or a manager can withdraw it.");
        }

        State.PendingHandoff = null;
        Append(actor, time.GetUtcNow(), EventTypes.HandoffWithdrawn, new() { ["to"] = pending.To });
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> AcceptHandoff(Actor actor)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        var pending = RequirePendingFor(staff.Id, "accept");

        // Only now, with the recipient's yes, does the promise change hands.
        var previous = State.Owner;
        State.Owner = staff.Id;
        State.PendingHandoff = null;
        Append(actor, time.GetUtcNow(), EventTypes.HandoffAccepted, new() { ["from"] = previous, ["to"] = staff.Id, ["offeredBy"] = pending.From });
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> DeclineHandoff(Actor actor, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        var pending = RequirePendingFor(staff.Id, "decline");
        var v = new Validation();
        reason = v.Text("reason", reason, 1, MaxTextLength);
        v.ThrowIfInvalid();

        State.PendingHandoff = null;
        Append(actor, time.GetUtcNow(), EventTypes.HandoffDeclined, new()
        {
            ["to"] = staff.Id,
            ["offeredBy"] = pending.From,
            ["owner"] = State.Owner,
            ["reason"] = reason!,
        });
        await SaveAsync();
        return View();
    }

    private PendingHandoff RequirePendingFor(string staffId, string action)
    {
        var pending = State.PendingHandoff
            ?? throw RuleViolationException.Conflict($"There is no pending handoff to {action}.");
        if (pending.To != staffId)
        {
            throw RuleViolationException.Forbidden($"This handoff was offered to {pending.To}; only they can {action} it.");
        }

        return pending;
    }

    /// <summary>Closing a promise ends any offer on it; the history says which.</summary>
    private void DropPendingHandoff(Dictionary<string, string> details)
    {
        if (State.PendingHandoff is { } pending)
        {
            details["handoffWithdrawn"] = pending.To;
            State.PendingHandoff = null;
        }
    }
}
