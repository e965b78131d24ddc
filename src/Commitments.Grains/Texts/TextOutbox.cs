using Commitments.Grains.Common;
using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Texts;

/// <summary>
/// A grain keeping its texts to send in its own state; its silo's dispatcher sends and reports back, every rule stays in the grain.
/// </summary>
public interface ITextOutbox : IGrain
{
    /// <summary>Texts due now: each is marked as being attempted (durably) before it is returned.</summary>
    Task<TextWork> BeginDueTexts(string dispatcherId);

    /// <summary>How sending a text ended.</summary>
    Task RecordSendOutcome(string textId, SendOutcome outcome);

    /// <summary>A status from a callback or a poll; applied idempotently, never lowering the text's rank.</summary>
    Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode);

    /// <summary>The SID Twilio gave this text, once it is known (a 201 or a callback).</summary>
    [Idempotent]
    Task<string?> SubmittedSid(string textId);
}

/// <summary>Which grain an outbox is: texts travel as (site, promise id), and a site's own texts under <see cref="SiteTexts"/>.</summary>
public static class TextOutboxes
{
    /// <summary>Where a promise's id would be: the site's own texts (staff phone verifications).</summary>
    public static readonly Guid SiteTexts = Guid.Empty;

    /// <summary>
    /// How long a claim holds; past it the text is due again (looked up first), so an unrecorded outcome cannot block it forever.
    /// </summary>
    public static readonly TimeSpan AttemptLease = TimeSpan.FromMinutes(2);

    public static ITextOutbox Of(IGrainFactory grains, string site, Guid id) => id == SiteTexts
        ? grains.GetGrain<ISiteGrain>(site)
        : grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
}

/// <summary>How one text moves through any outbox: claimed, sent, failed, status raised.</summary>
internal static class TextAttempts
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>Due now, or claimed by a dispatcher whose silo is gone (a live one's claim holds until its lease ends).</summary>
    public static bool IsDue(OutboundText text, DateTimeOffset now, string dispatcherId, Func<string, bool> claimantGone) =>
        text.NextWorkAt <= now || (text.Stage == TextStage.Attempting && text.AttemptBy is { } by && by != dispatcherId && claimantGone(by));

    /// <summary>A text Twilio accepted whose status stopped moving: fetched once more.</summary>
    public static TextPoll Poll(OutboundText text)
    {
        text.Polls++;
        return new TextPoll(text.Id, text.MessageSid!);
    }

    public static void Skip(OutboundText text, string reason, DateTimeOffset now)
    {
        text.Stage = TextStage.Skipped;
        text.Reason = reason;
        text.UpdatedAt = now;
    }

    /// <summary>Claims a rendered <paramref name="text"/> for sending, with the SIDs a look-up must never take for it.</summary>
    public static TextToSend Send(
        OutboundText text, IEnumerable<OutboundText> outbox, string site, Guid outboxId, string dispatcherId, DateTimeOffset now)
    {
        var lookUpSince = Claim(text, dispatcherId, now);
        var known = outbox.Where(t => t != text && t.MessageSid is not null).Select(t => t.MessageSid!).ToList();
        return new TextToSend(site, outboxId, text.Id, text.To, text.Body!, lookUpSince, known);
    }

    /// <summary>Records an attempt by <paramref name="dispatcherId"/>; returns since when to look up an earlier attempt (null: none).</summary>
    public static DateTimeOffset? Claim(OutboundText text, string dispatcherId, DateTimeOffset now)
    {
        // An earlier attempt whose outcome was never recorded may have reached Twilio.
        var lookUpSince = text.Stage == TextStage.Attempting ? text.AttemptStartedAt : null;
        text.Stage = TextStage.Attempting;
        text.AttemptStartedAt ??= now;
        text.AttemptBy = dispatcherId;
        text.Attempts++;
        text.NotBefore = now + TextOutboxes.AttemptLease;
        text.UpdatedAt = now;
        return lookUpSince;
    }

    /// <summary>What a send outcome did to the text.</summary>
    public enum Applied
    {
        /// <summary>Twilio had it already; a different SID was dropped (the first stands).</summary>
        AlreadySubmitted,
        Submitted,
        Failed,
        RetryLater,
    }

    public static Applied ApplyOutcome(OutboundText text, SendOutcome outcome, DateTimeOffset now)
    {
        text.UpdatedAt = now;
        if (text.Stage == TextStage.Submitted)
        {
            // A callback may have come first: never turn an accepted text back into a failed or pending one.
            return Applied.AlreadySubmitted;
        }

        if (outcome.MessageSid is { } sid)
        {
            Submit(text, sid, now);
            RaiseStatus(text, outcome.Status, outcome.ErrorCode);
            return Applied.Submitted;
        }

        if (outcome.Final)
        {
            text.Stage = TextStage.Failed;
            text.ErrorCode = outcome.ErrorCode;
            text.Reason = outcome.Reason ?? TextStatus.Explain(outcome.ErrorCode);
            text.AttemptBy = null;
            return Applied.Failed;
        }

        // Try again later; whoever does will look the message up first.
        var delay = TimeSpan.FromSeconds(Math.Min(MaxRetryDelay.TotalSeconds, Math.Pow(2, Math.Min(text.Attempts, 10))));
        text.NotBefore = now + delay;
        text.AttemptBy = null;
        text.ErrorCode = outcome.ErrorCode;
        text.Reason = outcome.Reason;
        return Applied.RetryLater;
    }

    /// <summary>
    /// A callback's or poll's status; returns whether the text changed and whether this accepted it (a callback can overtake the 201).
    /// </summary>
    public static (bool Changed, bool Submitted) ApplyStatus(
        OutboundText text, string messageSid, string status, int? errorCode, DateTimeOffset now)
    {
        var submitted = false;
        if (text.MessageSid is null)
        {
            Submit(text, messageSid, now);
            submitted = true;
        }

        var changed = RaiseStatus(text, status, errorCode) | submitted;
        if (changed)
        {
            text.UpdatedAt = now;
        }

        return (changed, submitted);
    }

    private static void Submit(OutboundText text, string sid, DateTimeOffset now)
    {
        text.Stage = TextStage.Submitted;
        text.MessageSid = sid;
        text.SentAt ??= now;
        text.AttemptBy = null;
    }

    public static bool RaiseStatus(OutboundText text, string? status, int? errorCode)
    {
        if (status is null || TextStatus.Rank(status) <= TextStatus.Rank(text.Status))
        {
            return false;
        }

        text.Status = status;
        if (status is "failed" or "undelivered")
        {
            text.ErrorCode = errorCode;
            text.Reason = TextStatus.Explain(errorCode);
        }

        return true;
    }
}
