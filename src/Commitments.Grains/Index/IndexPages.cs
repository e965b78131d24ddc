namespace Commitments.Grains.Index;

/// <summary>
/// Which stored record (page) of a site's index holds each promise. A new promise goes to the first page with room,
/// so a stream of creates rewrites one or two records a flush, not the whole site; a page is filled to a byte budget
/// well inside storage's limit per record, and the site takes another page when all are full.
/// </summary>
/// <remarks>Pages are never removed: a page emptied by pruning is filled again. The ids a client chooses play no part.</remarks>
internal sealed class IndexPages(int pageBytes)
{
    private readonly Dictionary<Guid, (int Page, int Bytes)> _placed = [];
    private readonly List<Page> _pages = [new()];

    // No page before this one has room for an entry (a hint: removals move it back).
    private int _firstWithRoom;

    public int Count => _pages.Count;

    /// <summary>Pages changed since the last flush took them.</summary>
    public HashSet<int> Dirty { get; } = [];

    /// <summary>The promises on <paramref name="page"/>.</summary>
    public IReadOnlyCollection<Guid> On(int page) => _pages[page].Ids;

    /// <summary>At least <paramref name="count"/> pages exist (as many as are stored).</summary>
    public void Reserve(int count)
    {
        while (_pages.Count < count)
        {
            _pages.Add(new Page());
        }
    }

    /// <summary>Records that the stored <paramref name="page"/> holds <paramref name="entry"/> (as read at activation).</summary>
    public void Adopt(IndexEntry entry, int page)
    {
        Reserve(page + 1);
        var size = IndexEntrySize.UpperBound(entry);
        _placed[entry.Id] = (page, size);
        _pages[page].Add(entry.Id, size);
    }

    /// <summary>
    /// After activation: pages over budget (written before pages were filled by size) give their newest entries to
    /// pages with room.
    /// </summary>
    public void Rebalance(IReadOnlyDictionary<Guid, IndexEntry> entries)
    {
        for (var page = 0; page < _pages.Count; page++)
        {
            if (_pages[page].Bytes <= pageBytes)
            {
                continue;
            }

            var moving = _pages[page].Ids.Select(id => entries[id]).OrderByDescending(e => e.UpdatedAt).ToList();
            foreach (var entry in moving)
            {
                if (_pages[page].Bytes <= pageBytes)
                {
                    break;
                }

                Remove(entry.Id);
                Place(entry);
            }
        }

        _firstWithRoom = 0;
    }

    /// <summary>Puts a new or changed entry on a page; it stays where it is unless it no longer fits there.</summary>
    public void Place(IndexEntry entry)
    {
        var size = IndexEntrySize.UpperBound(entry);
        if (_placed.TryGetValue(entry.Id, out var placed))
        {
            var page = _pages[placed.Page];
            Dirty.Add(placed.Page);
            if (page.Bytes - placed.Bytes + size <= pageBytes)
            {
                page.Resize(placed.Bytes, size);
                _placed[entry.Id] = (placed.Page, size);
                return;
            }

            Remove(entry.Id);
        }

        var target = PageWithRoomFor(size);
        _pages[target].Add(entry.Id, size);
        _placed[entry.Id] = (target, size);
        Dirty.Add(target);
    }

    public void Remove(Guid id)
    {
        if (_placed.Remove(id, out var placed))
        {
            _pages[placed.Page].Remove(id, placed.Bytes);
            Dirty.Add(placed.Page);
            _firstWithRoom = Math.Min(_firstWithRoom, placed.Page);
        }
    }

    private int PageWithRoomFor(int size)
    {
        for (var page = _firstWithRoom; page < _pages.Count; page++)
        {
            if (_pages[page].Bytes + size <= pageBytes)
            {
                return page;
            }

            if (_pages[page].Bytes + IndexEntrySize.Smallest > pageBytes && page == _firstWithRoom)
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
        public HashSet<Guid> Ids { get; } = [];

        public long Bytes { get; private set; }

        public void Add(Guid id, int bytes)
        {
            Ids.Add(id);
            Bytes += bytes;
        }

        public void Remove(Guid id, int bytes)
        {
            Ids.Remove(id);
            Bytes -= bytes;
        }

        public void Resize(int before, int after) => Bytes += after - before;
    }
}
