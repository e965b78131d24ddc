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
    [property: Id(12)] DateTimeOffset? NextTextAt = null)
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
        s.Texts.Select(t => t.NextWorkAt).Min());
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
}

/// <summary>
/// Reads promises back from stored state, for an index catching up after a crash. The host
/// provides it over the grain storage; without one, the index trusts its own snapshot.
/// </summary>
public interface ICommitmentStateSource
{
    IAsyncEnumerable<CommitmentState> ChangedSinceAsync(string site, DateTimeOffset? since, CancellationToken cancellationToken);
}

/// <summary>How the index persists itself; defaults suit a hotel with a few thousand promises a month.</summary>
public sealed class SiteIndexOptions
{
    /// <summary>How often pending index changes are written (default 1 s): one write per interval, not per promise.</summary>
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How far before the watermark the catch-up reads (default 5 min), to cover clock skew with storage.</summary>
    public TimeSpan CatchUpOverlap { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Done and cancelled promises stay listed this long after their last change (default 30 days).</summary>
    public TimeSpan ClosedRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>At most this many done/cancelled promises stay listed per site (default 2000, newest kept).</summary>
    public int MaxClosedEntries { get; set; } = 2000;
}
