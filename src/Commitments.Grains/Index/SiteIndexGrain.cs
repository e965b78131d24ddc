using Orleans.Utilities;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Texts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commitments.Grains.Index;

/// <summary>
/// A site's list of promises, kept current by the commitment grains so lists never scan every grain.
/// It is derived data: it is written in batches, and heals from stored commitment state.
/// </summary>
/// <remarks>
/// Commitments write their own state before upserting here, so on activation the index re-reads every promise stored since the
/// last flush that wrote every changed page (its head's watermark, less a clock-skew overlap; all of them if a page is missing).
/// Writes go at most once per <see cref="SiteIndexOptions.FlushInterval"/> (a quiet site's, up to
/// <see cref="SiteIndexOptions.MaxFlushDelay"/> later), of the pages that changed (<see cref="IndexPages"/>): as many records
/// as the site needs, none over <see cref="SiteIndexOptions.PageBytes"/>; entries carry the promise's version, so replays and
/// late upserts never move one backwards.
/// </remarks>
public interface ISiteIndexGrain : IGrainWithStringKey
{
    [Idempotent]
    Task Upsert(IndexEntry entry);

    [Idempotent]
    Task<IReadOnlyList<IndexEntry>> Query(IndexQuery query);

    /// <summary>Open promises with a handoff offered to <paramref name="staffId"/>, soonest due first.</summary>
    [Idempotent]
    Task<IReadOnlyList<IndexEntry>> OfferedTo(string staffId);

    /// <summary>How many open promises each person owns (people with none are left out).</summary>
    [Idempotent]
    Task<IReadOnlyDictionary<string, int>> OpenCountsByOwner();

    /// <summary>Reads every stored promise of the site back into the index; returns how many were read.</summary>
    Task<int> Rebuild();

    /// <summary>Writes pending changes now (shutdown and tests; otherwise a timer does it).</summary>
    [Idempotent]
    Task Flush();

    /// <summary>A reply code (e.g. K7) no other open promise of the site holds, reserved for this one.</summary>
    /// <remarks>Interleaved: it waits for an activation's catch-up (codes must be unique) without holding up lists.</remarks>
    [Orleans.Concurrency.AlwaysInterleave]
    Task<string> AllocateReplyCode(Guid commitmentId);

    /// <summary>The open promise holding <paramref name="code"/> (case-insensitive), if any.</summary>
    [Idempotent]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IndexEntry?> FindByReplyCode(string code);

    /// <summary>Promises with a text due at or before <paramref name="now"/>.</summary>
    [Idempotent]
    Task<IReadOnlyList<Guid>> DueTexts(DateTimeOffset now);

    /// <summary>
    /// Keeps this site's text sweep running every <paramref name="interval"/> (the index activation owns it),
    /// and sweeps now, <paramref name="lookAhead"/> ahead.
    /// </summary>
    [Idempotent]
    Task SweepTexts(TimeSpan interval, TimeSpan lookAhead);

    /// <summary>When the site's own texts (staff phone codes) are next due (null: none); the sweep wakes the site then.</summary>
    [Orleans.Concurrency.OneWay]
    Task SiteTextsDue(DateTimeOffset? at);

    /// <summary>The manager's queue: open promises needing attention, most urgent first.</summary>
    [Idempotent]
    Task<IReadOnlyList<IndexEntry>> Escalations(DateTimeOffset now);

    /// <summary>Open promises whose escalation the reconcile pass must check: never planned, or with a next step.</summary>
    /// <remarks>
    /// Interleaved: after an activation it waits for the catch-up (up to <see cref="SiteIndexGrain.PlansCatchUpWait"/>), so
    /// the pass finds a promise the stored pages missed, without holding up lists.
    /// </remarks>
    [Idempotent]
    [Orleans.Concurrency.AlwaysInterleave]
    Task<IReadOnlyList<IndexEntry>> EscalationPlans();

    /// <summary>
    /// Tells <paramref name="observer"/> about every queue change (re-subscribe within <see cref="SiteIndexGrain.ObserverLifetime"/>).
    /// </summary>
    [Idempotent]
    Task Subscribe(IEscalationQueueObserver observer);

    [Idempotent]
    Task Unsubscribe(IEscalationQueueObserver observer);

    /// <summary>
    /// Tells <paramref name="observer"/> about every change to the site's promises
    /// (re-subscribe within <see cref="SiteIndexGrain.ObserverLifetime"/>).
    /// </summary>
    [Idempotent]
    Task SubscribeChanges(ISiteIndexObserver observer);

    [Idempotent]
    Task UnsubscribeChanges(ISiteIndexObserver observer);

    /// <summary>The directory changed for <paramref name="staffId"/> (role, PIN, active, signed out): screens re-check who is signed in.</summary>
    [Orleans.Concurrency.OneWay]
    Task StaffChanged(string staffId);
}

[GrainType(GrainTypeName)]
public sealed partial class SiteIndexGrain(
    TimeProvider time,
    IOptions<SiteIndexOptions> options,
    ILogger<SiteIndexGrain> logger,
    ICommitmentStateSource? source = null,
    IndexCatchUpGate? catchUps = null) : Grain, ISiteIndexGrain
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "site-index";

    /// <summary>The state names of the stored pages start with this (index-0, index-1, …): part of every stored key, never rename.</summary>
    public const string PagePrefix = "index-";

    /// <summary>Sites written before pages were filled by size have exactly this many, and no head.</summary>
    public const int FirstPages = 16;

    /// <summary>The record saying how many pages there are and when every change before was written: never rename.</summary>
    public const string HeadStateName = "index-head";

    public static string PageStateName(int page) => $"{PagePrefix}{page}";

    /// <summary>How long a new reply code waits for an activation's catch-up before stepping past what it may not know.</summary>
    public static TimeSpan ReplyCodeCatchUpWait => ReplyCodeBook.RecoveryWait;

    /// <summary>How long the reconcile pass's request for plans waits for an activation's catch-up.</summary>
    public static readonly TimeSpan PlansCatchUpWait = TimeSpan.FromSeconds(20);

    /// <summary>How long a queue subscription lasts without being renewed.</summary>
    public static readonly TimeSpan ObserverLifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<Guid, IndexEntry> _entries = [];
    private readonly OpenByDue _open = new();
    private ObserverManager<IEscalationQueueObserver>? _observers;

    private ObserverManager<IEscalationQueueObserver> Observers => _observers ??= new(ObserverLifetime, logger);

    private ObserverManager<ISiteIndexObserver>? _changeObservers;

    private ObserverManager<ISiteIndexObserver> ChangeObservers => _changeObservers ??= new(ObserverLifetime, logger);

    private readonly ReplyCodeBook _codes = new();
    private IndexStore _store = null!;
    private IndexCatchUp _catchUp = null!;

    private IndexPages Pages => _store.Pages;

    // The site's text sweep (see SweepTexts), started by the site registry.
    private IGrainTimer? _sweep;
    private TimeSpan _sweepInterval;

    // When the site's own texts are due, as the site last said; unknown after activation, so the first sweep asks it.
    private DateTimeOffset? _siteTextsAt = DateTimeOffset.MinValue;

    private SiteIndexOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _store = new IndexStore(GrainContext, new IndexPages(Options.PageBytes), logger);
        var watermark = await _store.LoadAsync(_entries, cancellationToken);
        Pages.Rebalance(_entries);
        foreach (var entry in _entries.Values.Where(e => e.Status == CommitmentStatus.Open))
        {
            _open.Changed(null, entry);
            _codes.Changed(null, entry);
        }

        _codes.Recovering(_store.CodeCursor);

        // Re-reading a big site's promises takes longer than an activation may: lists are served from the pages meanwhile.
        var complete = watermark is not null;
        _catchUp = new IndexCatchUp(this.GetPrimaryKeyString(), source, catchUps, Apply, Backoff, time, logger);
        _catchUp.Start(watermark - Options.CatchUpOverlap, (healed, elapsed) =>
        {
            if (_store.Existed)
            {
                LogCaughtUp(logger, this.GetPrimaryKeyString(), healed, _entries.Count, Pages.Count, (long)elapsed.TotalMilliseconds);
            }

            // Write every page once, so the next activation has watermarks to catch up from.
            if (!complete)
            {
                Pages.Dirty.UnionWith(Enumerable.Range(0, Pages.Count));
            }

            _codes.CaughtUp();
        });

        // Interleaved: promises await Upsert in their own turn, so upserts must never queue behind a storage write.
        this.RegisterGrainTimer(FlushOnTick, new GrainTimerCreationOptions(Options.FlushInterval, Options.FlushInterval)
        {
            Interleave = true,
            KeepAlive = false,
        });
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        await _catchUp.StopAsync();
        await FlushIfDirty(cancellationToken);
    }

    public Task Upsert(IndexEntry entry)
    {
        Apply(entry);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<IndexEntry>> Query(IndexQuery query)
    {
        // Open promises come in due order already, so a page of them reads only what it shows.
        IEnumerable<IndexEntry> rows = query.Status is CommitmentStatus.Open ? _open.InOrder : _entries.Values;
        if (query.Status is { } status && status != CommitmentStatus.Open)
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
        IReadOnlyList<IndexEntry> result = query.Status switch
        {
            CommitmentStatus.Done or CommitmentStatus.Cancelled => [.. rows.OrderByDescending(e => e.UpdatedAt).ThenBy(e => e.Id).Take(limit)],
            CommitmentStatus.Open => [.. rows.Take(limit)],
            _ => [.. rows.OrderBy(e => e.DueAt).ThenBy(e => e.Id).Take(limit)],
        };
        return Task.FromResult(result);
    }

    public Task<IReadOnlyDictionary<string, int>> OpenCountsByOwner() =>
        Task.FromResult<IReadOnlyDictionary<string, int>>(_entries.Values
            .Where(e => e.Status == CommitmentStatus.Open)
            .GroupBy(e => e.Owner, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal));

    public Task<IReadOnlyList<IndexEntry>> OfferedTo(string staffId) =>
        Task.FromResult<IReadOnlyList<IndexEntry>>(
        [
            .. _entries.Values
                .Where(e => e.Status == CommitmentStatus.Open && e.HandoffTo == staffId)
                .OrderBy(e => e.DueAt).ThenBy(e => e.Id),
        ]);

    public async Task<int> Rebuild()
    {
        await _catchUp.Finished();
        var read = await _catchUp.ReadAsync(null, CancellationToken.None);
        await FlushIfDirty(CancellationToken.None);
        return read;
    }

    public async Task Flush()
    {
        await _catchUp.Finished();
        await FlushIfDirty(CancellationToken.None);
    }

    public async Task<string> AllocateReplyCode(Guid commitmentId)
    {
        // A promise the pages missed may hold a code. The catch-up of most sites takes moments: wait for it, so codes stay
        // short; past that, step past where the missed codes can be (or, with no stored cursor to step past, keep waiting).
        await _catchUp.FinishedWithin(ReplyCodeBook.RecoveryWait);

        if (!_catchUp.Done && !_codes.CanHandOutWhileRecovering)
        {
            await _catchUp.Finished();
        }

        if (_entries.TryGetValue(commitmentId, out var known) && known.ReplyCode is { } existing
            && (_codes.HolderOf(existing) is not { } holder || holder == commitmentId))
        {
            return existing;
        }

        // Every open promise holds a code: this is the site's count of open promises (and those being made).
        return _codes.Reserve(commitmentId, time.GetUtcNow(), Options.MaxOpenPromises, _catchUp.Done)
            ?? throw new RuleViolationException(RuleKind.Conflict, "site",
                $"This site has {Options.MaxOpenPromises:N0} open promises, as many as it can hold. Complete or cancel some, then try again.");
    }

    public async Task<IndexEntry?> FindByReplyCode(string code)
    {
        // A code not known yet may belong to a promise the catch-up has still to read.
        if (_codes.HolderOf(code) is null && !_catchUp.Done)
        {
            await _catchUp.Finished();
        }

        return _codes.HolderOf(code) is { } id ? _entries[id] : null;
    }

    public Task<IReadOnlyList<IndexEntry>> Escalations(DateTimeOffset now) =>
        Task.FromResult<IReadOnlyList<IndexEntry>>(
        [
            .. _open.NeedingAttention(now)
                .OrderByDescending(e => e.Level)
                .ThenByDescending(e => e.HandoffStalled)
                .ThenBy(e => e.DueAt)
                .ThenBy(e => e.Id),
        ]);

    public async Task<IReadOnlyList<IndexEntry>> EscalationPlans()
    {
        // A big site's catch-up takes longer than a call may: past the wait, the next pass finds what it has still to read.
        await _catchUp.FinishedWithin(PlansCatchUpWait);

        return [.. _entries.Values.Where(IsEscalationPlan)];
    }

    /// <summary>An open promise whose escalation the reconcile pass checks: never planned, or with a next step.</summary>
    public static bool IsEscalationPlan(IndexEntry entry) =>
        entry.Status == CommitmentStatus.Open && (!entry.EscalationPlanned || entry.NextEscalationAt is not null);

    public Task Subscribe(IEscalationQueueObserver observer)
    {
        Observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task StaffChanged(string staffId)
    {
        if (_changeObservers is { Count: > 0 } watchers)
        {
            var site = this.GetPrimaryKeyString();
            watchers.Notify(o => o.StaffChanged(site, staffId));
        }

        return Task.CompletedTask;
    }

    public Task SubscribeChanges(ISiteIndexObserver observer)
    {
        ChangeObservers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnsubscribeChanges(ISiteIndexObserver observer)
    {
        ChangeObservers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task Unsubscribe(IEscalationQueueObserver observer)
    {
        Observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<Guid>> DueTexts(DateTimeOffset now) =>
        Task.FromResult<IReadOnlyList<Guid>>(
            [.. _entries.Values.Where(e => e.NextTextAt <= now).OrderBy(e => e.NextTextAt).Select(e => e.Id)]);

    public Task SweepTexts(TimeSpan interval, TimeSpan lookAhead)
    {
        if (_sweep is null || interval != _sweepInterval)
        {
            // The first sweep looks a claim's length ahead, so texts claimed by a silo that died are picked up at once.
            lookAhead = _sweep is null ? TextOutboxes.AttemptLease : lookAhead;
            _sweep?.Dispose();
            _sweepInterval = interval;
            _sweep = this.RegisterGrainTimer(() => WakeDueTexts(TimeSpan.Zero), new GrainTimerCreationOptions(interval, interval)
            {
                Interleave = true,
                KeepAlive = true,
            });
        }

        WakeDueTexts(lookAhead);
        return Task.CompletedTask;
    }

    // One-way: a promise may be waiting on this index (an upsert) while it is woken.
    private Task WakeDueTexts(TimeSpan lookAhead)
    {
        var site = this.GetPrimaryKeyString();
        var until = time.GetUtcNow() + lookAhead;
        foreach (var entry in _entries.Values.Where(e => e.NextTextAt <= until))
        {
            GrainFactory.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, entry.Id)).WakeTexts().Ignore();
        }

        if (_siteTextsAt <= until)
        {
            // Asked again after a claim's length unless the site answers (it says when its next text is due).
            _siteTextsAt = time.GetUtcNow() + TextOutboxes.AttemptLease;
            GrainFactory.GetGrain<Sites.ISiteGrain>(site).WakeTexts().Ignore();
        }

        return Task.CompletedTask;
    }

    public Task SiteTextsDue(DateTimeOffset? at)
    {
        _siteTextsAt = at;
        return Task.CompletedTask;
    }

    private void Apply(IndexEntry entry)
    {
        if (_entries.TryGetValue(entry.Id, out var known) && known.Version > entry.Version)
        {
            return;
        }

        _codes.Changed(known, entry);
        if (known != entry)
        {
            _entries[entry.Id] = entry;
            _open.Changed(known, entry);
            Pages.Place(entry);
            var now = time.GetUtcNow();
            if (_observers is { Count: > 0 } observers && (entry.NeedsAttention(now) || known?.NeedsAttention(now) == true))
            {
                var site = this.GetPrimaryKeyString();
                observers.Notify(o => o.QueueChanged(site, entry.Id));
            }

            if (_changeObservers is { Count: > 0 } watchers)
            {
                var site = this.GetPrimaryKeyString();
                watchers.Notify(o => o.EntryChanged(site, known, entry));
            }
        }
    }

    // Consecutive failed flushes, and when the next may be tried: a write that keeps failing backs off.
    private int _flushFailures;
    private DateTimeOffset _nextFlushAt;

    // Closed promises leave the lists at most this late: pruning scans every entry, and retention is counted in days.
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(1);
    private DateTimeOffset _nextPruneAt;

    /// <summary>
    /// A flush waits (up to <see cref="SiteIndexOptions.MaxFlushDelay"/>) until what changed is at least this fraction of
    /// what it writes: at 500 quiet sites, rewriting each site's newest page every second kept Azurite's one thread busy.
    /// </summary>
    public const int MaxWriteAmplification = 8;

    // When the last flush began: a quiet site's changes are written at most MaxFlushDelay after it.
    private DateTimeOffset _lastFlushAt;

    private Task FlushOnTick(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var due = Pages.WorthWriting(MaxWriteAmplification) || now - _lastFlushAt >= Options.MaxFlushDelay;
        return now < _nextFlushAt || !due ? Task.CompletedTask : FlushIfDirty(cancellationToken);
    }

    // The flush under way, if any: the timer, Flush() and deactivation never write at the same time.
    private Task? _flushing;

    private async Task FlushIfDirty(CancellationToken cancellationToken)
    {
        // Pages written before the catch-up is done would carry watermarks past what it has not read.
        if (!_catchUp.Done)
        {
            return;
        }

        while (_flushing is { } running)
        {
            await running;
        }

        if (Pages.Dirty.Count == 0)
        {
            return;
        }

        var flush = WriteDirtyPages(cancellationToken);
        _flushing = flush;
        try
        {
            await flush;
        }
        finally
        {
            _flushing = null;
        }
    }

    private async Task WriteDirtyPages(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        _lastFlushAt = now;
        if (now >= _nextPruneAt)
        {
            Prune(now);
            _nextPruneAt = now + PruneInterval;
        }

        if (await _store.WriteAsync(_entries, now, _codes.Cursor, cancellationToken))
        {
            _flushFailures = 0;
            return;
        }

        // Back off so a record storage refuses (too large, say) is not retried every tick forever.
        _flushFailures++;
        var wait = Backoff(_flushFailures);
        _nextFlushAt = now + wait;
        LogFlushBackoff(logger, this.GetPrimaryKeyString(), _flushFailures, (long)wait.TotalMilliseconds);
    }

    // Doubling from the flush interval, up to MaxFlushBackoff: for a write or a catch-up that keeps failing.
    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(Options.MaxFlushBackoff.Ticks, Options.FlushInterval.Ticks * (1L << Math.Min(failures, 20))));

    /// <summary>Closed promises leave the lists after the retention period; open ones never do.</summary>
    private void Prune(DateTimeOffset now)
    {
        // A closed promise with a text still to send (a completion text held until morning) stays.
        var closed = _entries.Values.Where(e => e.Status != CommitmentStatus.Open && e.NextTextAt is null).ToList();
        var expired = closed.Where(e => now - e.UpdatedAt > Options.ClosedRetention)
            .Concat(closed.OrderByDescending(e => e.UpdatedAt).Skip(Options.MaxClosedEntries));
        foreach (var entry in expired)
        {
            _entries.Remove(entry.Id);
            Pages.Remove(entry.Id);
        }
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Index of site {Site} caught up from stored state: {Healed} promises re-read, {Total} listed on {Pages} pages, in {ElapsedMs} ms")]
    private static partial void LogCaughtUp(ILogger logger, string site, int healed, int total, int pages, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index of site {Site} failed to write {Failures} time(s) in a row; next try in {WaitMs} ms")]
    private static partial void LogFlushBackoff(ILogger logger, string site, int failures, long waitMs);

}
