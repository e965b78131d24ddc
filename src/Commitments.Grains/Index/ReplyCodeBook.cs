using Commitments.Grains.Commitments;

namespace Commitments.Grains.Index;

/// <summary>
/// A site's reply codes: which open promise holds each, which are reserved for promises being made, and where handing
/// out continues, so a new code never scans the site and no two open promises share one.
/// </summary>
/// <remarks>
/// After an activation, once a code has waited <see cref="RecoveryWait"/> for the catch-up to read the promises the
/// stored pages missed, codes are handed out from
/// <see cref="RecoveryGap"/> past where the cursor stood when the head was last written: the codes a previous activation handed
/// out after that flush lie in between (it moved forward from there, or restarted from the first codes).
/// </remarks>
internal sealed class ReplyCodeBook
{
    /// <summary>More promises than a site makes between two writes of its index's head (every 10 s while it changes).</summary>
    public const int RecoveryGap = 10_000;

    /// <summary>How long a code waits for the catch-up before it is handed out from past the gap.</summary>
    public static readonly TimeSpan RecoveryWait = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan ReservationLifetime = TimeSpan.FromMinutes(5);

    private readonly Dictionary<string, (Guid Id, DateTimeOffset At)> _reserved = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Guid> _open = new(StringComparer.OrdinalIgnoreCase);
    private int? _recoveringFrom;

    /// <summary>Where handing out continues (stored in the index's head).</summary>
    public int Cursor { get; private set; }

    /// <summary>Codes held or reserved: the site's open promises and those being made.</summary>
    public int InUse => _open.Count + _reserved.Count;

    /// <summary>
    /// After activation: <paramref name="storedCursor"/> is where the cursor stood when the head was last written (null: unknown,
    /// so nothing may be handed out until caught up).
    /// </summary>
    public void Recovering(int? storedCursor)
    {
        Cursor = storedCursor ?? 0;
        _recoveringFrom = storedCursor + RecoveryGap;
    }

    /// <summary>The catch-up has read every promise: every code in use is known.</summary>
    public void CaughtUp() => _recoveringFrom = null;

    /// <summary>Whether a code can be handed out before the catch-up ends.</summary>
    public bool CanHandOutWhileRecovering => _recoveringFrom is not null;

    public Guid? HolderOf(string code) => _open.TryGetValue(code, out var id) ? id : null;

    public void Changed(IndexEntry? before, IndexEntry after)
    {
        if (after.ReplyCode is { } code && _reserved.TryGetValue(code, out var reserved) && reserved.Id == after.Id)
        {
            _reserved.Remove(code);
        }

        if (before?.ReplyCode is { } oldCode && _open.TryGetValue(oldCode, out var holder) && holder == after.Id)
        {
            _open.Remove(oldCode);
        }

        if (after.Status == CommitmentStatus.Open && after.ReplyCode is { } newCode)
        {
            _open[newCode] = after.Id;
        }
    }

    /// <summary>Reserves a code no open promise holds for <paramref name="id"/>; null when <paramref name="max"/> are in use.</summary>
    public string? Reserve(Guid id, DateTimeOffset now, int max, bool caughtUp)
    {
        foreach (var stale in _reserved.Where(r => now - r.Value.At > ReservationLifetime).Select(r => r.Key).ToList())
        {
            _reserved.Remove(stale);
        }

        if (InUse >= max)
        {
            return null;
        }

        if (!caughtUp && _recoveringFrom is { } from)
        {
            // Codes handed out since the head was written are unknown until the catch-up ends: step past them.
            Cursor = Math.Max(Cursor, from);
        }
        else if (InUse < 64)
        {
            // Shortest free code: restart from the first when few are in use, else continue from the last handed out.
            Cursor = 0;
        }

        string code;
        do
        {
            code = ReplyCodes.At(Cursor);
            Cursor = (Cursor + 1) % ReplyCodes.Count;
        }
        while (_open.ContainsKey(code) || _reserved.ContainsKey(code));

        _reserved[code] = (id, now);
        return code;
    }
}
