namespace Commitments.Grains.Index;

/// <summary>
/// Which stored record (page) of a site's index holds each promise. New entries, and changed ones whose page is not being
/// written anyway, go to the first page with room, so a flush writes one or two records however many promises changed
/// across the site; the older copy stays in its page until that page is next written (a page half made of older copies
/// is written again), and the newest version wins when pages are read. A page holds at most its byte budget, well inside
/// storage's limit per record, and the site takes another page when all are full.
/// </summary>
/// <remarks>
/// Pages are never removed: a page emptied by pruning fills again. A promise pruned from the lists has every page holding
/// a copy of it written again, so no later activation lists it. The ids a client chooses play no part.
/// </remarks>
internal sealed class IndexPages(int pageBytes)
{
    private readonly Dictionary<Guid, (int Page, int Bytes)> _placed = [];

    // Pages whose stored record still holds an older copy of a promise (a page may appear twice).
    private readonly Dictionary<Guid, List<int>> _olderIn = [];
    private readonly List<Page> _pages = [new()];

    // No page before this one has room for an entry (a hint: removals move it back).
    private int _firstWithRoom;

    public int Count => _pages.Count;

    /// <summary>Pages to write at the next flush.</summary>
    public HashSet<int> Dirty { get; } = [];

    // Bytes of entries placed or removed since the pages were last taken for writing.
    private long _changedBytes;

    /// <summary>
    /// What changed since the last write is at least 1/<paramref name="ratio"/> of what writing the changed pages would
    /// store: a few new promises on a nearly full page are not yet worth rewriting it.
    /// </summary>
    public bool WorthWriting(int ratio) => Dirty.Count > 0 && _changedBytes * ratio >= Dirty.Sum(page => _pages[page].StoredBytes);

    /// <summary>The pages to write now, in order; they are no longer dirty (a failed write adds them back).</summary>
    public int[] TakeDirty()
    {
        var dirty = Dirty.Order().ToArray();
        Dirty.Clear();
        _changedBytes = 0;
        return dirty;
    }

    /// <summary>The promises listed from <paramref name="page"/> (what a write of it holds).</summary>
    public IReadOnlyCollection<Guid> On(int page) => _pages[page].Live.Keys;

    /// <summary>At least <paramref name="count"/> pages exist (as many as are stored).</summary>
    public void Reserve(int count)
    {
        while (_pages.Count < count)
        {
            _pages.Add(new Page());
        }
    }

    /// <summary>
    /// Records what a stored <paramref name="page"/> holds, as read at activation: the copy listed, or an older one
    /// (<paramref name="listed"/> false) that stays until the page is next written.
    /// </summary>
    public void Adopt(IndexEntry entry, int page, bool listed)
    {
        Reserve(page + 1);
        var size = IndexEntrySize.UpperBound(entry);
        if (listed)
        {
            _placed[entry.Id] = (page, size);
            _pages[page].Live[entry.Id] = size;
            _pages[page].LiveBytes += size;
        }
        else
        {
            AddOlder(entry.Id, page, size);
        }
    }

    /// <summary>
    /// After activation: pages over budget (written before pages were filled by size) give their newest entries to pages
    /// with room, and pages mostly made of older copies are written again.
    /// </summary>
    public void Rebalance(IReadOnlyDictionary<Guid, IndexEntry> entries)
    {
        for (var page = 0; page < _pages.Count; page++)
        {
            var moving = _pages[page].LiveBytes <= pageBytes
                ? []
                : _pages[page].Live.Keys.Select(id => entries[id]).OrderByDescending(e => e.UpdatedAt).ToList();
            foreach (var entry in moving.TakeWhile(_ => _pages[page].LiveBytes > pageBytes))
            {
                MoveOut(entry.Id);
                Dirty.Add(page);
                Add(entry.Id, IndexEntrySize.UpperBound(entry));
            }

            CompactIfMostlyOlder(page);
        }

        _firstWithRoom = 0;
    }

    /// <summary>Puts a new or changed entry on a page.</summary>
    public void Place(IndexEntry entry)
    {
        var size = IndexEntrySize.UpperBound(entry);
        _changedBytes += size;
        if (_placed.TryGetValue(entry.Id, out var placed))
        {
            // A page written at the next flush anyway takes the change where it is.
            var page = _pages[placed.Page];
            if (Dirty.Contains(placed.Page) && page.StoredBytes - placed.Bytes + size <= pageBytes)
            {
                page.Live[entry.Id] = size;
                page.LiveBytes += size - placed.Bytes;
                _placed[entry.Id] = (placed.Page, size);
                return;
            }

            MoveOut(entry.Id);
        }

        Add(entry.Id, size);
    }

    /// <summary>The promise leaves the lists: its page, and every page with an older copy of it, are written again.</summary>
    public void Remove(Guid id)
    {
        if (_placed.Remove(id, out var placed))
        {
            _changedBytes += placed.Bytes;
            var page = _pages[placed.Page];
            page.Live.Remove(id);
            page.LiveBytes -= placed.Bytes;
            Dirty.Add(placed.Page);
            _firstWithRoom = Math.Min(_firstWithRoom, placed.Page);
        }

        if (_olderIn.TryGetValue(id, out var pages))
        {
            Dirty.UnionWith(pages);
        }
    }

    /// <summary>
    /// A flush is writing <paramref name="page"/>: the older copies it held are left out of the write. Hand what this
    /// returns to <see cref="Written"/> once the outcome is known.
    /// </summary>
    public Dictionary<Guid, int> Writing(int page)
    {
        var older = _pages[page].Older;
        _pages[page].Older = [];
        _pages[page].OlderBytes = 0;
        _firstWithRoom = Math.Min(_firstWithRoom, page);
        return older;
    }

    /// <summary>The write of <paramref name="page"/> that left out <paramref name="older"/> succeeded or failed.</summary>
    public void Written(int page, Dictionary<Guid, int> older, bool succeeded)
    {
        foreach (var (id, bytes) in older)
        {
            if (succeeded)
            {
                if (_olderIn.TryGetValue(id, out var pages) && pages.Remove(page) && pages.Count == 0)
                {
                    _olderIn.Remove(id);
                }
            }
            else if (_pages[page].Older.TryAdd(id, bytes))
            {
                _pages[page].OlderBytes += bytes;
            }
        }
    }

    private void MoveOut(Guid id)
    {
        var (from, bytes) = _placed[id];
        var page = _pages[from];
        page.Live.Remove(id);
        page.LiveBytes -= bytes;
        _placed.Remove(id);
        AddOlder(id, from, bytes);
        CompactIfMostlyOlder(from);
    }

    private void AddOlder(Guid id, int page, int bytes)
    {
        if (_pages[page].Older.TryAdd(id, bytes))
        {
            _pages[page].OlderBytes += bytes;
        }

        if (!_olderIn.TryGetValue(id, out var pages))
        {
            _olderIn[id] = pages = [];
        }

        pages.Add(page);
    }

    private void CompactIfMostlyOlder(int page)
    {
        if (_pages[page].OlderBytes > pageBytes / 2)
        {
            Dirty.Add(page);
        }
    }

    private void Add(Guid id, int size)
    {
        var target = PageWithRoomFor(size);
        _pages[target].Live[id] = size;
        _pages[target].LiveBytes += size;
        _placed[id] = (target, size);
        Dirty.Add(target);
    }

    private int PageWithRoomFor(int size)
    {
        for (var page = _firstWithRoom; page < _pages.Count; page++)
        {
            if (_pages[page].StoredBytes + size <= pageBytes)
            {
                return page;
            }

            if (page == _firstWithRoom && _pages[page].StoredBytes + IndexEntrySize.Smallest > pageBytes)
            {
                _firstWithRoom = page + 1;
            }
        }

        _pages.Add(new Page());
        // Page 0 records how many pages there are, so the next activation finds them all.
        Dirty.Add(0);
        return _pages.Count - 1;
    }

    private sealed class Page
    {
        public Dictionary<Guid, int> Live { get; } = [];

        public long LiveBytes { get; set; }

        // Older copies of promises listed from other pages, still in this page's stored record.
        public Dictionary<Guid, int> Older { get; set; } = [];

        public long OlderBytes { get; set; }

        public long StoredBytes => LiveBytes + OlderBytes;
    }
}
