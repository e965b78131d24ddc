using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

namespace Commitments.Host.Web.Shared;

/// <summary>Times on the pages in the site's zone and the texts' words; a zone is named as a person would, never by IANA id.</summary>
public static class SiteClock
{
    /// <summary>The pages are in English, whatever language the site texts its guests in.</summary>
    private const string Language = TextTemplates.DefaultLanguage;

    /// <summary>"1:49 pm".</summary>
    public static string Time(SiteInfo site, DateTimeOffset at) => TextTemplates.TimeOf(at, site.Zone, Language);

    /// <summary>"1:49 pm" today, "tomorrow 9:00 am", "Mon 1:49 pm" this week, "Dec 8 1:49 pm" later.</summary>
    public static string When(SiteInfo site, DateTimeOffset at, DateTimeOffset now) => TextTemplates.When(at, now, site.Zone, Language);

    /// <summary>"Mon Dec 7, 1:49 pm": for records, which are read later.</summary>
    public static string DateAndTime(SiteInfo site, DateTimeOffset at) => TextTemplates.DateAndTime(at, site.Zone, Language);

    /// <summary>"New York time" for America/New_York.</summary>
    public static string ZoneName(string timeZone)
    {
        if (timeZone is "UTC" or "Etc/UTC")
        {
            return "UTC";
        }

        var city = timeZone[(timeZone.LastIndexOf('/') + 1)..].Replace('_', ' ');
        return $"{city} time";
    }
}
