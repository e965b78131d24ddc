using Commitments.Grains.Commitments;

namespace Commitments.Grains.Index;

/// <summary>
/// A site's open promises in the order lists show them (soonest due first), and those on the manager's queue whatever
/// their due time, kept as entries change: a list or the queue of a site with 100,000 open promises reads what it shows,
/// not every entry.
/// </summary>
internal sealed class OpenByDue
{
    private readonly SortedSet<IndexEntry> _open = new(ByDue.Instance);

    // Open promises on the queue for a reason other than being due (escalated, acknowledged, stalled, held, guest-reopened).
    private readonly Dictionary<Guid, IndexEntry> _flagged = [];

    public int Count => _open.Count;

    /// <summary>Soonest due first.</summary>
    public IEnumerable<IndexEntry> InOrder => _open;

    public void Changed(IndexEntry? before, IndexEntry? after)
    {
        if (before?.Status == CommitmentStatus.Open)
        {
            _open.Remove(before);
            _flagged.Remove(before.Id);
        }

        if (after?.Status == CommitmentStatus.Open)
        {
            _open.Add(after);
            if (after.NeedsAttention(DateTimeOffset.MinValue))
            {
                _flagged[after.Id] = after;
            }
        }
    }

    /// <summary>Every entry for which <see cref="IndexEntry.NeedsAttention"/> holds at <paramref name="now"/>, in no order.</summary>
    public IEnumerable<IndexEntry> NeedingAttention(DateTimeOffset now) =>
        _open.TakeWhile(e => e.DueAt <= now).Concat(_flagged.Values.Where(e => e.DueAt > now));

    private sealed class ByDue : IComparer<IndexEntry>
    {
        public static readonly ByDue Instance = new();

        public int Compare(IndexEntry? x, IndexEntry? y)
        {
            var due = x!.DueAt.CompareTo(y!.DueAt);
            return due != 0 ? due : x.Id.CompareTo(y.Id);
        }
    }
}
