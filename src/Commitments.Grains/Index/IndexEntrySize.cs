using System.Text;

namespace Commitments.Grains.Index;

/// <summary>
/// An upper bound on an entry's stored size, so a page of the index is filled to a byte budget without serialising it.
/// </summary>
/// <remarks>Strings count their UTF-8 bytes and a length prefix; everything else a fixed allowance (a test holds it above the real size).</remarks>
internal static class IndexEntrySize
{
    private const int Fixed = 192;
    private const int FixedPerText = 64;
    private const int PerString = 8;

    /// <summary>No entry is smaller: a page with less room than this is full.</summary>
    public const int Smallest = Fixed + (9 * PerString);

    public static int UpperBound(IndexEntry entry)
    {
        var bytes = Fixed
            + Text(entry.What) + Text(entry.CustomerName) + Text(entry.Room) + Text(entry.Owner)
            + Text(entry.HandoffTo) + Text(entry.HandoffFrom) + Text(entry.ReplyCode) + Text(entry.EscalationJob)
            + Text(entry.AcknowledgedBy);
        if (entry.LastText is { } text)
        {
            bytes += FixedPerText + Text(text.Kind) + Text(text.RecipientRole) + Text(text.StaffId) + Text(text.Status) + Text(text.Reason);
        }

        return bytes;
    }

    private static int Text(string? value) => value is null ? PerString : PerString + Encoding.UTF8.GetByteCount(value);
}
