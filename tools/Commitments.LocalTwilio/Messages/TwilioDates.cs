using System.Globalization;

namespace Commitments.LocalTwilio.Messages;

internal static class TwilioDates
{
    /// <summary>RFC 2822 in GMT, as Twilio writes date_created and friends: "Mon, 23 Nov 2026 23:11:00 +0000".</summary>
    public static string? Rfc2822(DateTimeOffset? at) =>
        at?.ToUniversalTime().ToString("ddd, dd MMM yyyy HH:mm:ss '+0000'", CultureInfo.InvariantCulture);

    /// <summary>RawDlrDoneDate: YYMMDDhhmm, UTC.</summary>
    public static string DlrDoneDate(DateTimeOffset at) =>
        at.ToUniversalTime().ToString("yyMMddHHmm", CultureInfo.InvariantCulture);

    /// <summary>Twilio stores whole seconds; truncating keeps a "DateSent&gt;=now" look-up after a timeout honest.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset at) =>
        new(at.UtcTicks - (at.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>A DateSent filter value: "YYYY-MM-DD" (a whole day) or an ISO 8601 / RFC 2822 instant.</summary>
    public static bool TryParseFilter(string value, out DateTimeOffset at, out bool dateOnly)
    {
        if (DateOnly.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            at = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
            dateOnly = true;
            return true;
        }
        dateOnly = false;
        return DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at);
    }
}
