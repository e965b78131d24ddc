using Commitments.Grains.Common;
using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Handoffs;

/// <summary>
/// A promise changes hands only when the person named accepts. Each rule returns the event for the grain to record.
/// </summary>
internal static class HandoffRules
{
    public static async Task<(string Type, Dictionary<string, string> Details)> ProposeAsync(
        CommitmentState state, ISiteGrain site, StaffInfo by, string? to, string? note, DateTimeOffset now)
    {
        if (state.PendingHandoff is { } pending)
        {
            throw RuleViolationException.Conflict(
                $"A handoff to {pending.To} is already pending; it must be accepted, declined or withdrawn first.");
        }

        var v = new Validation();
        var recipientId = v.Text("to", to, 1, 40);
        note = v.Text("note", note, 1, CommitmentGrain.MaxTextLength, required: false);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(state, PromiseCaps.Handoffs, "handoffs offered", EventTypes.HandoffProposed);
        var recipient = await RequireRecipient(site, "to", recipientId!, owner: state.Owner);
        return Offer(state, recipient.Id, by.Id, note, now);
    }

    /// <summary>An offer to <paramref name="to"/>; the promise stays with its owner until they accept.</summary>
    public static (string Type, Dictionary<string, string> Details) Offer(
        CommitmentState state, string to, string from, string? note, DateTimeOffset now)
    {
        state.PendingHandoff = new(to, from, note, now);
        return (EventTypes.HandoffProposed, EventDetails.HandoffProposed(to, from, note));
    }

    public static (string Type, Dictionary<string, string> Details) Withdraw(CommitmentState state, StaffInfo by)
    {
        var pending = state.PendingHandoff
            ?? throw RuleViolationException.Conflict("There is no pending handoff to withdraw.");
        if (by.Id != pending.From && by.Id != state.Owner && !by.IsManager)
        {
            throw RuleViolationException.Forbidden("Only the person who offered the handoff, the owner or a manager can withdraw it.");
        }

        state.PendingHandoff = null;
        return (EventTypes.HandoffWithdrawn, EventDetails.HandoffWithdrawn(pending.To));
    }

    public static (string Type, Dictionary<string, string> Details) Accept(CommitmentState state, StaffInfo by)
    {
        var pending = RequirePendingFor(state, by.Id, "accept");

        // Only now, with the recipient's yes, does the promise change hands.
        var previous = state.Owner;
        state.Owner = by.Id;
        state.PendingHandoff = null;
        return (EventTypes.HandoffAccepted, EventDetails.HandoffAccepted(previous, by.Id, pending.From));
    }

    public static (string Type, Dictionary<string, string> Details) Decline(CommitmentState state, StaffInfo by, string? reason)
    {
        var pending = RequirePendingFor(state, by.Id, "decline");
        var v = new Validation();
        reason = v.Text("reason", reason, 1, CommitmentGrain.MaxTextLength);
        v.ThrowIfInvalid();

        state.PendingHandoff = null;
        return (EventTypes.HandoffDeclined, EventDetails.HandoffDeclined(by.Id, pending.From, state.Owner, reason!));
    }

    /// <summary>Closing a promise ends any offer on it; returns whom it was for, for the history.</summary>
    public static string? DropPending(CommitmentState state)
    {
        var to = state.PendingHandoff?.To;
        state.PendingHandoff = null;
        return to;
    }

    /// <summary>The person a promise is offered to: active staff of the site, not its owner.</summary>
    public static async Task<StaffInfo> RequireRecipient(ISiteGrain site, string field, string staffId, string owner)
    {
        var recipient = await site.GetStaff(staffId);
        if (recipient is null)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' is not a staff member of this site; name one person.");
        }

        if (!recipient.Active)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' is no longer active at this site and cannot be handed anything.");
        }

        if (recipient.Id == owner)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' already owns this promise; hand it to someone else.");
        }

        return recipient;
    }

    private static PendingHandoff RequirePendingFor(CommitmentState state, string staffId, string action)
    {
        var pending = state.PendingHandoff
            ?? throw RuleViolationException.Conflict($"There is no pending handoff to {action}.");
        if (pending.To != staffId)
        {
            throw RuleViolationException.Forbidden($"This handoff was offered to {pending.To}; only they can {action} it.");
        }

        return pending;
    }
}
