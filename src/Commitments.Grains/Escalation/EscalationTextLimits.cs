using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Escalation;

/// <summary>
/// The per-person escalation limit (one a minute): a held text says why and goes at its moment, carrying the others held.
/// </summary>
internal sealed class EscalationTextLimits(IPromise promise)
{
    private CommitmentState State => promise.State;

    private ITextLimiterGrain Limiter => ITextLimiterGrain.For(promise.Grains, promise.SiteId);

    /// <summary>Before a write: new escalation texts claimed or held; a closed promise's held texts dropped.</summary>
    public async Task LimitAsync(IReadOnlyList<OutboundText> added, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var now = promise.Now;
        if (State.Status != CommitmentStatus.Open)
        {
            foreach (var held in State.Texts.Where(t => t.Stage == TextStage.Held))
            {
                held.Stage = TextStage.Skipped;
                held.Reason = "The promise was closed before this held text went.";
                held.UpdatedAt = now;
                await Limiter.Withdraw(ITextLimiterGrain.Person(held.To), Limited(held, staff));
            }

            return;
        }

        foreach (var text in added.Where(t => t.StaffId is not null
            && t.Kind is TextKinds.Reminder or TextKinds.Overdue or TextKinds.HandoffStalled))
        {
            var decision = await Limiter.Claim(ITextLimiterGrain.Person(text.To), Limited(text, staff));
            if (decision.Outcome == LimitDecision.Hold)
            {
                text.Stage = TextStage.Held;
                text.NotBefore = decision.Until!.Value;
                text.Reason = HeldReason(text, staff, decision);
                text.UpdatedAt = now;
            }
        }
    }

    /// <summary>Held texts whose moment came: sent (carrying the others held), or marked as carried by another's text.</summary>
    public async Task<(bool Changed, bool Released)> ReleaseHeldAsync(DateTimeOffset now, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var due = State.Texts.Where(t => t.Stage == TextStage.Held && t.NotBefore <= now).ToList();
        if (due.Count == 0)
        {
            return (false, false);
        }

        var released = false;
        foreach (var text in due)
        {
            var decision = await Limiter.Release(ITextLimiterGrain.Person(text.To), Limited(text, staff));
            text.UpdatedAt = now;
            switch (decision.Outcome)
            {
                case LimitDecision.Send:
                    released = true;
                    text.NotBefore = now;
                    text.BundleCodes = decision.Codes is { Count: > 1 } codes ? [.. codes] : null;
                    text.Reason = text.BundleCodes is null ? null : $"Sent after the limit, as one text for {text.BundleCodes.Count} promises.";
                    if (text.AttemptStartedAt is not null && text.BundleCodes is null)
                    {
                        // May have gone before its record was lost: look it up at Twilio first.
                        text.Stage = TextStage.Attempting;
                        text.AttemptBy = EscalationSteps.EarlierActivation;
                    }
                    else
                    {
                        // New words (a bundle) were never sent: written afresh when it goes.
                        text.Stage = TextStage.Waiting;
                        text.Body = text.BundleCodes is null ? text.Body : null;
                        text.AttemptStartedAt = null;
                    }

                    break;
                case LimitDecision.Bundled:
                    released = true;
                    text.Stage = TextStage.Bundled;
                    text.Reason = $"Went in one text with {decision.Carrier} (at most one escalation text a minute per person).";
                    break;
                default:
                    text.NotBefore = decision.Until!.Value;
                    break;
            }
        }

        return (true, released);
    }

    /// <summary>A prepared text that will not go (its step was dropped): its place in the limit is given back.</summary>
    public Task WithdrawAsync(OutboundText text) =>
        Limiter.Withdraw(ITextLimiterGrain.Person(text.To), new LimitedText(promise.SiteId, State.Id, text.Id, ""));

    private LimitedText Limited(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var owner = staff.GetValueOrDefault(State.Owner)?.Name ?? State.Owner;
        return new LimitedText(promise.SiteId, State.Id, text.Id, $"{State.ReplyCode} ({owner})");
    }

    private static string HeldReason(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff, LimitDecision decision)
    {
        var who = staff.GetValueOrDefault(text.StaffId!)?.Name ?? text.StaffId;
        var last = decision.LastSentAt is { } at ? $" (the last at {EventDetails.Iso(at)})" : "";
        var until = EventDetails.Iso(decision.Until!.Value);
        return $"Held: {who} gets at most one escalation text a minute{last}. It goes at {until}, in one text with any others held.";
    }
}
