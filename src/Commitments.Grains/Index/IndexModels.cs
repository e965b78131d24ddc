using Commitments.Grains.Commitments;

namespace Commitments.Grains.Index;

/// <summary>What a list shows of one promise. Derived from <see cref="CommitmentState"/>, never the other way.</summary>
[GenerateSerializer, Immutable, Alias("commitments.index-entry")]
public sealed record IndexEntry(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string What,
    [property: Id(2)] string CustomerName,
    [property: Id(3)] string? Room,
    [property: Id(4)] string Owner,
    [property: Id(5)] DateTimeOffset DueAt,
    [property: Id(6)] CommitmentStatus Status,
    [property: Id(7)] string? HandoffTo,
    [property: Id(8)] string? HandoffFrom,
    [property: Id(9)] int Version,
    [property: Id(10)] DateTimeOffset UpdatedAt,
    [property: Id(11)] string? ReplyCode = null,
    // When the promise next has a text to send (null: none).
    [property: Id(12)] DateTimeOffset? NextTextAt = null,
    // Escalation, for the reconcile pass and the manager's queue.
    [property: Id(13)] DateTimeOffset? NextEscalationAt = null,
    [property: Id(14)] string? EscalationJob = null,
    [property: Id(15)] bool EscalationPlanned = false,
    [property: Id(16)] int Level = 0,
    [property: Id(17)] string? AcknowledgedBy = null,
    [property: Id(18)] DateTimeOffset? AcknowledgedUntil = null,
    [property: Id(19)] bool HandoffStalled = false,
    [property: Id(20)] QueueText? LastText = null,
    [property: Id(21)] int HeldTexts = 0,
    // The guest replied that it is not done, and it has not been done since: lists mark it.
    [property: Id(22)] DateTimeOffset? GuestReopenedAt = null)
{
    /// <summary>Lists show a summary; the whole text is on the promise itself.</summary>
    public const int SummaryLength = 120;

    public static IndexEntry From(CommitmentState s) => new(
        s.Id,
        s.What.Length <= SummaryLength ? s.What : s.What[..(SummaryLength - 1)] + "…",
        s.Customer?.Name ?? "",
        s.Customer?.Room,
        s.Owner,
        s.DueAt,
        s.Status,
        s.PendingHandoff?.To,
        s.PendingHandoff?.From,
        s.History.Count,
        s.History.Count > 0 ? s.History[^1].At : s.CreatedAt,
        s.ReplyCode,
        s.Texts.Select(t => t.NextWorkAt).Min(),
        s.Escalation.JobAt,
        s.Escalation.JobId,
        s.Escalation.Planned,
        s.Escalation.Level,
        s.Escalation.Ack?.By,
        s.Escalation.Ack?.Until,
        s.PendingHandoff is { } offer && s.Escalation.Done.Contains(Escalation.EscalationState.StalledKey(offer.At)),
        s.Texts.Count == 0 ? null : QueueText.From(s.Texts[^1]),
        s.Texts.Count(t => t.Stage == Texts.TextStage.Held),
        s.Status == CommitmentStatus.Open
        && s.History.LastOrDefault(h => h.Type == EventTypes.Reopened) is { Actor.Kind: Common.Actor.CustomerKind } reopened
            ? reopened.At
            : null);

    /// <summary>Belongs on the manager's queue: open and overdue, escalated, acknowledged, stalled, held or guest-reopened.</summary>
    public bool NeedsAttention(DateTimeOffset now) =>
        Status == CommitmentStatus.Open
        && (DueAt <= now || Level > 0 || AcknowledgedBy is not null || HandoffStalled || HeldTexts > 0 || GuestReopenedAt is not null);
}

/// <summary>A promise's latest text, as the queue shows it: who, what kind, and how delivery went (no number, no body).</summary>
[GenerateSerializer, Immutable, Alias("commitments.queue-text")]
public sealed record QueueText(
    [property: Id(0)] string Kind,
    [property: Id(1)] string RecipientRole,
    [property: Id(2)] string? StaffId,
    [property: Id(3)] string Status,
    [property: Id(4)] string? Reason,
    [property: Id(5)] DateTimeOffset At)
{
    public static QueueText From(Texts.OutboundText t) =>
        new(t.Kind, t.RecipientRole, t.StaffId, Texts.TextStatus.Describe(t), t.Reason, t.SentAt ?? t.UpdatedAt);
}

/// <summary>Told when a site's escalation queue changes, so a screen can refresh without polling.</summary>
public interface IEscalationQueueObserver : IGrainObserver
{
    [Orleans.Concurrency.OneWay]
    Task QueueChanged(string site, Guid commitmentId);
}

/// <summary>Told about every change to a site's promises (a screen's lists refresh without polling).</summary>
public interface ISiteIndexObserver : IGrainObserver
{
    /// <summary>A promise changed: <paramref name="before"/> is null for a new one.</summary>
    [Orleans.Concurrency.OneWay]
    Task EntryChanged(string site, IndexEntry? before, IndexEntry after);

    /// <summary>A staff member's role, PIN or standing changed, or they signed out: open pages re-check sign-in.</summary>
    [Orleans.Concurrency.OneWay]
    Task StaffChanged(string site, string staffId);
}

/// <summary>A list request; owners given means "owned by any of these" (a team's members).</summary>
[GenerateSerializer, Immutable, Alias("commitments.index-query")]
public sealed record IndexQuery(
    [property: Id(0)] CommitmentStatus? Status = null,
    [property: Id(1)] string? Owner = null,
    [property: Id(2)] IReadOnlyList<string>? Owners = null,
    [property: Id(3)] int Limit = IndexQuery.DefaultLimit)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;
}

[GenerateSerializer, Alias("commitments.site-index-state")]
public sealed class SiteIndexState
{
    [Id(0)] public List<IndexEntry> Entries { get; set; } = [];

    /// <summary>Every change made before this moment is in <see cref="Entries"/>.</summary>
    [Id(1)] public DateTimeOffset? Watermark { get; set; }

    // Id(2) held the key that chose a promise's record by hash, before records were filled in order: never reuse it.

    /// <summary>How many pages the site had when this one was written (0: written before pages, which were 16).</summary>
    [Id(3)] public int Pages { get; set; }

    /// <summary>The head only: where handing out reply codes stood when the flush began.</summary>
    [Id(4)] public int CodeCursor { get; set; }
}

/// <summary>Reads stored promises back for an index catching up; without one, the index trusts its own snapshot.</summary>
public interface ICommitmentStateSource
{
    IAsyncEnumerable<CommitmentState> ChangedSinceAsync(string site, DateTimeOffset? since, CancellationToken cancellationToken);
}

/// <summary>
/// Reads every site's stored index pages without activating the indexes; may lag the promises by what changed since.
/// </summary>
public interface IStoredSiteIndexes
{
    /// <summary>The newest entry of each promise on every site's stored index pages, with its site, in no order.</summary>
    IAsyncEnumerable<(string Site, IndexEntry Entry)> ReadAllAsync(CancellationToken cancellationToken);
}

/// <summary>How the index persists itself; defaults suit a hotel with a few thousand promises a month.</summary>
public sealed class SiteIndexOptions
{
    /// <summary>How often pending changes are written (default 1 s): one write per interval, not per promise.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a change waits to be written (default 10 s). A site whose changes are small against the pages they
    /// land on waits for more, up to this long, rather than rewrite a page for every promise or two.
    /// </summary>
    public TimeSpan MaxFlushDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How far before the watermark the catch-up reads (default 5 min), to cover clock skew with storage.</summary>
    public TimeSpan CatchUpOverlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many site indexes of one host re-read their promises after activation at once (default 2); lists are served meanwhile.</summary>
    public int ConcurrentCatchUps { get; set; } = 2;

    /// <summary>Done and cancelled promises stay listed this long after their last change (default 30 days).</summary>
    public TimeSpan ClosedRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>At most this many done/cancelled promises stay listed per site (default 2000, newest kept).</summary>
    public int MaxClosedEntries { get; set; } = 2000;

    /// <summary>
    /// Open promises per site (default 200,000; past it, 409): what one index grain keeps in memory and reads at
    /// activation; fewer than <see cref="ReplyCodes.Count"/>, since each holds a reply code.
    /// </summary>
    public int MaxOpenPromises { get; set; } = 200_000;

    /// <summary>
    /// Bytes of entries per stored page of the index as an upper bound counts them (default 64 KiB, about half that
    /// stored; at most 512 KiB, inside storage's 1 MiB per record): smaller pages make a change cheaper to write, larger
    /// ones an activation read fewer records.
    /// </summary>
    public int PageBytes { get; set; } = 64 * 1024;

    public const int MinPageBytes = 4 * 1024;
    public const int MaxPageBytes = 512 * 1024;

    /// <summary>Longest wait before retrying a failing write (default 5 minutes; doubles from FlushInterval).</summary>
    public TimeSpan MaxFlushBackoff { get; set; } = TimeSpan.FromMinutes(5);
}
