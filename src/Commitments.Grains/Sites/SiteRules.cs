using System.Text.RegularExpressions;
using Commitments.Grains.Common;

namespace Commitments.Grains.Sites;

/// <summary>The site's field rules (ids, zones, roles, teams, PINs, times of day), each naming its field when broken.</summary>
public static partial class SiteRules
{
    public static string CheckZone(Validation v, string zone)
    {
        if (!TryFindZone(zone, out _))
        {
            v.Add("timeZone", $"'{zone}' is not a known IANA time zone.");
        }

        return zone;
    }

    public static string CheckRegion(Validation v, string region)
    {
        if (!Phone.IsKnownRegion(region))
        {
            v.Add("phoneRegion", $"'{region}' is not a known two-letter phone region.");
        }

        return region;
    }

    public static string CheckLanguage(Validation v, string language)
    {
        if (!Texts.TextTemplates.Languages.Contains(language))
        {
            v.Add("language", $"must be one of the languages texts are written in: {string.Join(", ", Texts.TextTemplates.Languages)}.");
        }

        return language;
    }

    /// <summary>The shortest PIN a manager may have: a manager's account opens every staff number and the site's settings.</summary>
    public const int ManagerPinDigits = 6;

    public static string? CheckPin(Validation v, string? pin, string? role)
    {
        if (pin is null || !PinPattern().IsMatch(pin))
        {
            v.Add("pin", role == Roles.Manager ? $"must be {ManagerPinDigits}–8 digits for a manager." : "must be 4–8 digits.");
            return null;
        }

        if (role == Roles.Manager && pin.Length < ManagerPinDigits)
        {
            v.Add("pin", $"must be {ManagerPinDigits}–8 digits for a manager.");
            return null;
        }

        return pin;
    }

    public static string? CheckRole(Validation v, string? role)
    {
        if (role is null || !Roles.All.Contains(role))
        {
            v.Add("role", $"must be one of: {string.Join(", ", Roles.All)}.");
            return null;
        }

        return role;
    }

    public static string? CheckTeam(Validation v, string? team, IReadOnlyDictionary<string, TeamRecord> teams)
    {
        if (string.IsNullOrWhiteSpace(team) || !teams.ContainsKey(team))
        {
            v.Add("team", teams.Count == 0
                ? "must name a team of the site; the site has no teams yet."
                : $"must be one of the site's teams: {string.Join(", ", teams.Keys.Order())}.");
            return null;
        }

        return team;
    }

    public static TimeOnly? ParseTime(Validation v, string field, string? value)
    {
        if (value is null)
        {
            return null;
        }

        if (TimeOnly.TryParseExact(
            value.Trim(), "HH:mm", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var time))
        {
            return time;
        }

        v.Add(field, "must be a time of day as HH:mm (24-hour), e.g. 22:00.");
        return null;
    }

    public static bool IsSlug(string? value) => value is not null && SlugPattern().IsMatch(value);

    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        zone = TimeZoneInfo.Utc;
        if (string.IsNullOrWhiteSpace(id))
        {
            return false;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (TimeZoneNotFoundException)
        {
            return false;
        }
        catch (InvalidTimeZoneException)
        {
            return false;
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,39}$")]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[0-9]{4,8}$")]
    private static partial Regex PinPattern();
}
