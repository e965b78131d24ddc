using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Commitments;

/// <summary>Who may change a promise, in which state: the checks the grain's actions share.</summary>
internal static class PromiseRules
{
    public static void RequireExists(CommitmentState state)
    {
        if (!state.Exists)
        {
            throw RuleViolationException.NotFound("id", "There is no promise with this id at this site.");
        }
    }

    public static void RequireOpen(CommitmentState state, string action)
    {
        RequireExists(state);
        if (state.Status != CommitmentStatus.Open)
        {
            var status = state.Status == CommitmentStatus.Done ? "done" : "cancelled";
            throw RuleViolationException.Conflict(
                $"This promise is {status}, so it cannot be {action}; only notes can be added" +
                (state.Status == CommitmentStatus.Done ? ", or a manager can reopen it." : "."));
        }
    }

    public static void RequireOwnerOrManager(CommitmentState state, StaffInfo staff, string action)
    {
        if (!staff.IsManager && staff.Id != state.Owner)
        {
            throw RuleViolationException.Forbidden($"Only the owner ({state.Owner}) or a manager can {action} this promise.");
        }
    }

    /// <summary>A manager (<paramref name="staff"/>, for a staff actor) or the customer may reopen a done promise.</summary>
    public static void RequireReopenable(CommitmentState state, Actor actor, StaffInfo? staff)
    {
        if (actor.IsStaff ? staff is not { IsManager: true } : actor.Kind != Actor.CustomerKind)
        {
            throw RuleViolationException.Forbidden(actor.IsStaff
                ? "Only a manager (or the customer, by replying) can reopen a promise."
                : "Only a manager or the customer can reopen a promise.");
        }

        if (state.Status != CommitmentStatus.Done)
        {
            throw RuleViolationException.Conflict(state.Status == CommitmentStatus.Open
                ? "This promise is still open; only a done promise can be reopened."
                : "This promise was cancelled; only a done promise can be reopened.");
        }
    }

    /// <summary>Done can be taken back within <paramref name="window"/>, by whoever marked it, while it is the last change.</summary>
    public static void RequireUndoable(CommitmentState state, Actor actor, DateTimeOffset now, TimeSpan window)
    {
        if (state.Status != CommitmentStatus.Done || state.History[^1] is not { Type: EventTypes.Completed } done || done.Actor != actor)
        {
            throw RuleViolationException.Conflict("Only the last change, a done marked by you, can be undone.");
        }

        if (now - done.At > window)
        {
            throw RuleViolationException.Conflict($"Done can be undone for {window.TotalSeconds:0} seconds; ask a manager to reopen it.");
        }
    }

    /// <summary>A reschedule's or reopening's deadline and reason, checked together; a promise holds only so many deadlines.</summary>
    public static (DateTimeOffset DueAt, string Reason) NewDeadline(
        CommitmentState state, TimeZoneInfo zone, DateTimeOffset now, TimeSpan minimumLead, string? dueAt, string? reason)
    {
        var v = new Validation();
        var due = Deadline.Parse(v, "dueAt", dueAt, zone, now, minimumLead);
        reason = v.Text("reason", reason, 1, CommitmentGrain.MaxTextLength);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(state, PromiseCaps.Deadlines, "new deadlines", EventTypes.Rescheduled, EventTypes.Reopened);
        return (due!.Value, reason!);
    }

    /// <summary>One free-text field, checked alone.</summary>
    public static string? Text(string field, string? value, int max = CommitmentGrain.MaxTextLength, bool required = true)
    {
        var v = new Validation();
        var text = v.Text(field, value, 1, max, required);
        v.ThrowIfInvalid();
        return text;
    }
}
