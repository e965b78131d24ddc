using System.Globalization;

namespace Commitments.Grains.Common;

/// <summary>
/// ISO-8601 with an offset is absolute; without one it is site wall-clock time (IANA zone, DST-correct).
/// </summary>
public static class Deadline
{
    public static readonly TimeSpan MinimumLead = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaximumLead = TimeSpan.FromDays(366);

    private static readonly string[] LocalFormats =
    [
        "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF",
        "yyyy-MM-dd HH:mm", "yyyy-MM-dd HH:mm:ss",
    ];

    /// <summary>Parses and range-checks <paramref name="raw"/>; with <paramref name="now"/> null the range is not checked.</summary>
    public static DateTimeOffset? Parse(
        Validation validation, string field, string? raw, TimeZoneInfo zone, DateTimeOffset? now, TimeSpan? minimumLead = null)
    {
        var lead = minimumLead ?? MinimumLead;
        if (string.IsNullOrWhiteSpace(raw))
        {
            validation.Add(field, "is required: an ISO-8601 date-time, with an offset or in the site's local time.");
            return null;
        }

        raw = raw.Trim();
        DateTimeOffset at;
        if (DateTime.TryParseExact(raw, LocalFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            if (zone.IsInvalidTime(local))
            {
                validation.Add(field, $"{raw} does not exist in the site's time zone ({zone.Id}): the clocks skip it.");
                return null;
            }

            // In the repeated hour of a DST change, take the first occurrence (the earlier instant).
            var offset = zone.IsAmbiguousTime(local) ? zone.GetAmbiguousTimeOffsets(local).Max() : zone.GetUtcOffset(local);
            at = new DateTimeOffset(local, offset);
        }
        else if (!DateTimeOffset.TryParse(raw, CultureInfo.InvariantCulture, DateTimeStyles.None, out at)
            || !HasExplicitOffset(raw))
        {
            validation.Add(field, $"'{Shorten(raw)}' is not an ISO-8601 date-time (e.g. 2026-05-01T15:30:00+02:00 or 2026-05-01T15:30).");
            return null;
        }

        if (now is null)
        {
            // Comparing with an earlier request: only the instant matters.
            return at.ToUniversalTime();
        }

        if (at < now + lead)
        {
            validation.Add(field, lead == MinimumLead
                ? "must be at least 1 minute in the future."
                : $"must be at least {lead.TotalSeconds:0} seconds in the future.");
            return null;
        }

        if (at > now + MaximumLead)
        {
            validation.Add(field, "must be at most 366 days ahead.");
            return null;
        }

        return at.ToUniversalTime();
    }

    /// <summary>The instant as the site's clock shows it, with the site's offset at that moment.</summary>
    public static DateTimeOffset ToSiteTime(DateTimeOffset at, TimeZoneInfo zone) => TimeZoneInfo.ConvertTime(at, zone);

    private static bool HasExplicitOffset(string raw)
    {
        var t = raw.IndexOf('T', StringComparison.OrdinalIgnoreCase);
        if (t < 0)
        {
            return false;
        }

        var time = raw[t..];
        return time.EndsWith('Z') || time.EndsWith('z') || time.Contains('+') || time.Contains('-');
    }

    private static string Shorten(string raw) => raw.Length <= 40 ? raw : raw[..40] + "…";
}

/// <summary>Ledger rules that, in practice, only tests change (section "Ledger").</summary>
public sealed class LedgerOptions
{
    /// <summary>How far ahead a deadline must be (default 1 minute); end-to-end tests use seconds.</summary>
    public TimeSpan MinimumLead { get; set; } = Deadline.MinimumLead;
}
