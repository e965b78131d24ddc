using System.Globalization;
using System.Resources;
using System.Text;
using System.Text.RegularExpressions;

namespace Commitments.Grains.Texts;

/// <summary>
/// Every text's wording (Templates.resx, Templates.es.resx). Rendering fits <see cref="MaxSegments"/> segments by shortening
/// free text (what was promised, notes, replies), never the facts around it.
/// </summary>
public static partial class TextTemplates
{
    public const int MaxSegments = 2;
    public const int MaxNameLength = 40;
    public const string DefaultLanguage = "en";

    private static readonly ResourceManager Resources = new("Commitments.Grains.Texts.Templates", typeof(TextTemplates).Assembly);

    public static readonly string[] Languages = ["en", "es"];

    /// <summary>The customer's language if we have its templates, else the site's default.</summary>
    public static string Pick(string? language, string? siteDefault = null)
    {
        foreach (var candidate in new[] { language, siteDefault })
        {
            var primary = candidate?.Split('-')[0].ToLowerInvariant();
            if (primary is not null && Languages.Contains(primary))
            {
                return primary;
            }
        }

        return DefaultLanguage;
    }

    public static string Raw(string key, string language) =>
        Resources.GetString(key, Culture(language)) ?? throw new InvalidOperationException($"No text template '{key}'.");

    /// <summary>
    /// Fills <paramref name="key"/>'s template, cutting <paramref name="shrinkable"/> values until it fits <see cref="MaxSegments"/>.
    /// </summary>
    public static string Render(string key, string language, IReadOnlyDictionary<string, string> values, params string[] shrinkable)
    {
        var template = Raw(key, language);
        var current = values.ToDictionary(v => v.Key, v => v.Value);
        var text = Fill(template, current);
        foreach (var name in shrinkable)
        {
            while (Segments.Count(text, smartEncode: true).Segments > MaxSegments && current.TryGetValue(name, out var value) && value.Length > 8)
            {
                var excess = Math.Max(4, Segments.Overflow(text));
                current[name] = value[..Math.Max(4, value.Length - excess - 1)].TrimEnd() + "…";
                text = Fill(template, current);
            }
        }

        return text;
    }

    /// <summary>A person's name as texts show it: trimmed to <see cref="MaxNameLength"/>.</summary>
    public static string Name(string name) => name.Length <= MaxNameLength ? name : name[..(MaxNameLength - 1)] + "…";

    /// <summary>"3:30 pm", "tomorrow 9:00 am", "Fri 9:00 am" or "Dec 3 9:00 am", in the site's time.</summary>
    public static string When(DateTimeOffset at, DateTimeOffset now, TimeZoneInfo zone, string language)
    {
        var culture = Culture(language);
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var today = TimeZoneInfo.ConvertTime(now, zone).Date;
        var time = TimeOf(at, zone, language);
        var days = (local.Date - today).Days;
        var key = days switch
        {
            0 => "Today",
            1 => "Tomorrow",
            > 1 and < 7 => "ThisWeek",
            _ => "Later",
        };
        return Fill(Raw(key, language), new Dictionary<string, string>
        {
            ["time"] = time,
            ["day"] = local.ToString(Raw("DayFormat", language), culture).TrimEnd('.'),
            ["date"] = local.ToString(Raw("DateFormat", language), culture).TrimEnd('.'),
        });
    }

    /// <summary>The time of day in <paramref name="zone"/>, as the texts write it ("1:49 pm").</summary>
    public static string TimeOf(DateTimeOffset at, TimeZoneInfo zone, string language) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString(Raw("TimeFormat", language), Culture(language))
            .Replace("AM", "am").Replace("PM", "pm").Replace(". m.", ".m.");

    /// <summary>The date and time in <paramref name="zone"/>, for records ("Mon Dec 7, 1:49 pm").</summary>
    public static string DateAndTime(DateTimeOffset at, TimeZoneInfo zone, string language)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone);
        var culture = Culture(language);
        var day = local.ToString(Raw("DayFormat", language), culture).TrimEnd('.');
        var date = local.ToString(Raw("DateFormat", language), culture).TrimEnd('.');
        return $"{day} {date}, {TimeOf(at, zone, language)}";
    }

    private static CultureInfo Culture(string language) => CultureInfo.GetCultureInfo(language == "es" ? "es-ES" : "en-US");

    private static string Fill(string template, IReadOnlyDictionary<string, string> values) =>
        Placeholder().Replace(template, m => values.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);

    [GeneratedRegex(@"\{([a-z]+)\}")]
    private static partial Regex Placeholder();

    /// <summary>A small GSM-7/UCS-2 segment counter (the grains cannot see the Twilio client's).</summary>
    internal static class Segments
    {
        private const string Gsm = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
        private const string Extension = "^{}\\[]~|€\f";

        public static (bool Gsm, int Units, int Segments) Count(string text, bool smartEncode)
        {
            if (smartEncode)
            {
                text = text.Replace("…", "...").Replace('’', '\'').Replace('“', '"').Replace('”', '"')
                    .Replace('–', '-').Replace('—', '-');
            }

            var gsm = text.All(c => Gsm.Contains(c) || Extension.Contains(c));
            var units = gsm ? text.Sum(c => Extension.Contains(c) ? 2 : 1) : text.Length;
            var (single, part) = gsm ? (160, 153) : (70, 67);
            return (gsm, units, units <= single ? 1 : (units + part - 1) / part);
        }

        /// <summary>Units over what <see cref="MaxSegments"/> segments hold.</summary>
        public static int Overflow(string text)
        {
            var (gsm, units, _) = Count(text, smartEncode: true);
            return units - ((gsm ? 153 : 67) * MaxSegments);
        }
    }

    internal static string Squash(string text) => new StringBuilder(text).Replace('\n', ' ').Replace('\r', ' ').ToString().Trim();
}
