using Commitments.Grains.Commitments;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commitments.Grains.Index;

/// <summary>
/// A site's list of promises, kept current by the commitment grains so lists never scan every grain.
/// It is derived data: it is written in batches, and heals from stored commitment state.
/// </summary>
/// <remarks>
/// How it heals: each commitment grain writes its own state first and then upserts here. The
/// index keeps entries in memory and writes a snapshot at most once per
/// <see cref="SiteIndexOptions.FlushInterval"/>, recording a watermark. When it activates (after a
/// crash, a deploy or idle deactivation) it reads back every commitment of the site stored since
/// the watermark (less an overlap for clock skew) and upserts them; entries carry the promise's
/// version (its history length), so replays and late upserts never move an entry backwards.
/// A commitment grain also upserts itself whenever it activates.
/// </remarks>
public interface ISiteIndexGrain : IGrainWithStringKey
{
    Task Upsert(IndexEntry entry);

    Task<IReadOnlyList<IndexEntry>> Query(IndexQuery query);

    /// <summary>Open promises with a handoff offered to <paramref name="staffId"/>, soonest due first.</summary>
    Task<IReadOnlyList<IndexEntry>> OfferedTo(string staffId);

    /// <summary>Reads every stored promise of the site back into the index; returns how many were read.</summary>
    Task<int> Rebuild();

    /// <summary>Writes pending changes now (shutdown and tests; otherwise a timer does it).</summary>
    Task Flush();
}

[GrainType(GrainTypeName)]
public sealed partial class SiteIndexGrain(
    [PersistentState(SiteIndexGrain.StateName)] IPersistentState<SiteIndexState> index,
    TimeProvider time,
    IOptions<SiteIndexOptions> options,
    ILogger<SiteIndexGrain> logger,
    ICommitmentStateSource? source = null) : Grain, ISiteIndexGrain
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "site-index";
    public const string StateName = "index";

    private readonly Dictionary<Guid, IndexEntry> _entries = [];
    private bool _dirty;

    private SiteIndexOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        foreach (var entry in index.State.Entries)
        {
            _entries[entry.Id] = entry;
        }

        var since = index.State.Watermark - Options.CatchUpOverlap;
        if (source is not null && index.RecordExists)
        {
            var healed = await CatchUp(since, cancellationToken);
            LogCaughtUp(logger, this.GetPrimaryKeyString(), healed, _entries.Count);
        }
        else if (source is not null)
        {
            // No snapshot yet: a new site, or the snapshot was lost. Read everything once.
            await CatchUp(null, cancellationToken);
        }

        this.RegisterGrainTimer(FlushIfDirty, new GrainTimerCreationOptions(Options.FlushInterval, Options.FlushInterval)
        {
            Interleave = false,
            KeepAlive = false,
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await FlushIfDirty(cancellationToken);
    }

    public Task Upsert(IndexEntry entry)
    {
        Apply(entry);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IndexEntry>> Query(IndexQuery query)
    {
        IEnumerable<IndexEntry> rows = _entries.Values;
        if (query.Status is { } status)
        {
            rows = rows.Where(e => e.Status == status);
        }

        if (query.Owner is { } owner)
        {
            rows = rows.Where(e => e.Owner == owner);
        }

        if (query.Owners is { } owners)
        {
            var set = owners.ToHashSet(StringComparer.Ordinal);
            rows = rows.Where(e => set.Contains(e.Owner));
        }

        var limit = Math.Clamp(query.Limit, 1, IndexQuery.MaxLimit);
        IReadOnlyList<IndexEntry> result = query.Status is CommitmentStatus.Done or CommitmentStatus.Cancelled
            ? [.. rows.OrderByDescending(e => e.UpdatedAt).ThenBy(e => e.Id).Take(limit)]
            : [.. rows.OrderBy(e => e.DueAt).ThenBy(e => e.Id).Take(limit)];
        return Task.FromResult(result);
    }

    public Task<IReadOnlyList<IndexEntry>> OfferedTo(string staffId) =>
        Task.FromResult<IReadOnlyList<IndexEntry>>(
        [
            .. _entries.Values
                .Where(e => e.Status == CommitmentStatus.Open && e.HandoffTo == staffId)
                .OrderBy(e => e.DueAt).ThenBy(e => e.Id),
        ]);

    public async Task<int> Rebuild()
    {
        var read = await CatchUp(null, CancellationToken.None);
        await FlushIfDirty(CancellationToken.None);
        return read;
    }

    public Task Flush() => FlushIfDirty(CancellationToken.None);

    private async Task<int> CatchUp(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        if (source is null)
        {
            return 0;
        }

        var read = 0;
        await foreach (var state in source.ChangedSinceAsync(this.GetPrimaryKeyString(), since, cancellationToken))
        {
            if (state.Exists)
            {
                Apply(IndexEntry.From(state));
                read++;
            }
        }

        return read;
    }

    private void Apply(IndexEntry entry)
    {
        if (_entries.TryGetValue(entry.Id, out var known) && known.Version > entry.Version)
        {
            return;
        }

        if (known != entry)
        {
            _entries[entry.Id] = entry;
            _dirty = true;
        }
    }

    private async Task FlushIfDirty(CancellationToken cancellationToken)
    {
        if (!_dirty)
        {
            return;
        }

        var now = time.GetUtcNow();
        Prune(now);
        index.State.Entries = [.. _entries.Values];
        index.State.Watermark = now;
        _dirty = false;
        try
        {
            await index.WriteStateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Keep serving from memory and try again on the next tick; stored promises remain the truth.
            _dirty = true;
            LogFlushFailed(logger, ex, this.GetPrimaryKeyString());
            await index.ReadStateAsync(cancellationToken);
        }
    }

    /// <summary>Closed promises leave the lists after the retention period; open ones never do.</summary>
    private void Prune(DateTimeOffset now)
    {
        var closed = _entries.Values.Where(e => e.Status != CommitmentStatus.Open).ToList();
        var expired = closed.Where(e => now - e.UpdatedAt > Options.ClosedRetention)
            .Concat(closed.OrderByDescending(e => e.UpdatedAt).Skip(Options.MaxClosedEntries));
        foreach (var entry in expired)
        {
            _entries.Remove(entry.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Index of site {Site} caught up from stored state: {Healed} promises re-read, {Total} listed")]
    private static partial void LogCaughtUp(ILogger logger, string site, int healed, int total);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index of site {Site} could not be written; retrying on the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string site);
}
