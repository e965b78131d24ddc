using Commitments.Grains.Common;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Index;

/// <summary>
/// A site index's stored records: its pages (index-0, index-1, …), each a share of the entries as <see cref="IndexPages"/>
/// places them, and a head (index-head) saying how many pages there are and when a flush that wrote every changed page
/// began (the latest, or one at most <see cref="HeadInterval"/> older).
/// </summary>
internal sealed partial class IndexStore(IGrainContext grain, IndexPages pages, ILogger logger)
{
    /// <summary>
    /// How often the head is written while only entries change (a new page writes it at once): a site with a few changes a
    /// second then writes one record a flush, not two; its catch-up starts at most this much earlier.
    /// </summary>
    public static readonly TimeSpan HeadInterval = TimeSpan.FromSeconds(10);

    private readonly List<StoredState<SiteIndexState>> _stored = [];
    private StoredState<SiteIndexState> _head = null!;

    public IndexPages Pages => pages;

    /// <summary>Where handing out reply codes stood when the head was last written (null: no head read).</summary>
    public int? CodeCursor => _head.RecordExists ? _head.State.CodeCursor : null;

    /// <summary>Any record of the site was read (it is not new).</summary>
    public bool Existed { get; private set; }

    private string Site => grain.GrainId.Key.ToString()!;

    /// <summary>
    /// Reads the head and the pages it names (the first 16 for a site stored before the head), then any more the pages
    /// name, into <paramref name="entries"/>; returns when the catch-up may start from (null: every promise of the site).
    /// </summary>
    public async Task<DateTimeOffset?> LoadAsync(Dictionary<Guid, IndexEntry> entries, CancellationToken cancellationToken)
    {
        _head = StoredState<SiteIndexState>.For(grain, SiteIndexGrain.HeadStateName);
        await _head.LoadAsync(cancellationToken);
        var count = 1;
        var wanted = _head.RecordExists ? Math.Max(1, _head.State.Pages) : SiteIndexGrain.FirstPages;
        while (_stored.Count < wanted)
        {
            var more = Enumerable.Range(_stored.Count, wanted - _stored.Count)
                .Select(page => StoredState<SiteIndexState>.For(grain, SiteIndexGrain.PageStateName(page))).ToList();
            await Task.WhenAll(more.Select(s => s.LoadAsync(cancellationToken)));
            _stored.AddRange(more);
            var highest = _stored.FindLastIndex(s => s.RecordExists);
            count = Math.Max(count, Math.Max(highest + 1, _stored.Max(s => s.State.Pages)));
            wanted = count;
        }

        _stored.RemoveRange(count, _stored.Count - count);
        pages.Reserve(count);
        Existed = _head.RecordExists || _stored.Any(s => s.RecordExists);

        // A promise may be on several pages (a changed entry is written anew elsewhere): the newest copy is listed, and
        // older ones stay until their page is next written.
        var listedFrom = new Dictionary<Guid, int>();
        for (var page = 0; page < _stored.Count; page++)
        {
            foreach (var entry in _stored[page].State.Entries)
            {
                if (!entries.TryGetValue(entry.Id, out var known) || known.Version < entry.Version)
                {
                    entries[entry.Id] = entry;
                    listedFrom[entry.Id] = page;
                }
            }
        }

        for (var page = 0; page < _stored.Count; page++)
        {
            foreach (var entry in _stored[page].State.Entries)
            {
                pages.Adopt(entry, page, listed: listedFrom[entry.Id] == page);
            }
        }

        // A missing page (new site, lost record) can only be healed by reading every promise once. A site stored before
        // the head has a watermark on every page.
        if (!_stored.All(s => s.RecordExists))
        {
            return null;
        }

        return _head.RecordExists ? _head.State.Watermark : _stored.Min(s => s.State.Watermark);
    }

    /// <summary>Writes the pages that changed, then the head; false when something failed (it is written again later).</summary>
    /// <remarks>
    /// Each page's entries are copied into a new list on the index's turn; serialising and writing run off it, so upserts
    /// and reply codes never wait behind a busy hotel's records (nothing else touches the records while a flush runs).
    /// </remarks>
    public async Task<bool> WriteAsync(
        IReadOnlyDictionary<Guid, IndexEntry> entries, DateTimeOffset now, int codeCursor, CancellationToken cancellationToken)
    {
        var dirty = pages.TakeDirty();
        while (_stored.Count < pages.Count)
        {
            _stored.Add(StoredState<SiteIndexState>.For(grain, SiteIndexGrain.PageStateName(_stored.Count)));
        }

        var older = new Dictionary<Guid, int>[dirty.Length];
        for (var i = 0; i < dirty.Length; i++)
        {
            var state = _stored[dirty[i]].State;
            state.Entries = [.. pages.On(dirty[i]).Select(id => entries[id])];
            state.Watermark = now;
            state.Pages = pages.Count;
            older[i] = pages.Writing(dirty[i]);
        }

        var errors = await Task.Run(async () =>
        {
            var failures = new System.Collections.Concurrent.ConcurrentBag<(int Page, Exception Error)>();
            await Task.WhenAll(dirty.Select(async page =>
            {
                try
                {
                    await _stored[page].WriteAsync(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    failures.Add((page, ex));
                }
            }));
            return failures.ToList();
        }, cancellationToken);

        var failed = errors.Select(e => e.Page).ToHashSet();
        for (var i = 0; i < dirty.Length; i++)
        {
            pages.Written(dirty[i], older[i], succeeded: !failed.Contains(dirty[i]));
        }

        foreach (var (page, error) in errors)
        {
            LogFlushFailed(logger, error, Site);
            pages.Dirty.Add(page);
            await ReloadAsync(_stored[page], cancellationToken);
        }

        if (errors.Count > 0)
        {
            return false;
        }

        var headDue = !_head.RecordExists || _head.State.Pages != pages.Count || now - _head.State.Watermark >= HeadInterval;
        return !headDue || await WriteHeadAsync(now, codeCursor, cancellationToken);
    }

    // Every change made before the flush that began at now is stored: the next activation catches up from then.
    private async Task<bool> WriteHeadAsync(DateTimeOffset now, int codeCursor, CancellationToken cancellationToken)
    {
        _head.State.Watermark = now;
        _head.State.CodeCursor = codeCursor;
        _head.State.Pages = pages.Count;
        try
        {
            await _head.WriteAsync(cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlushFailed(logger, ex, Site);
            await ReloadAsync(_head, cancellationToken);

            // The pages are written; the head goes with the next flush.
            pages.Dirty.Add(0);
            return false;
        }
    }

    // A stale ETag would fail every later write too; take the stored one.
    private async Task ReloadAsync(StoredState<SiteIndexState> stored, CancellationToken cancellationToken)
    {
        try
        {
            await stored.LoadAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFlushFailed(logger, ex, Site);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index of site {Site} could not be written; retrying on the next flush")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, string site);
}
