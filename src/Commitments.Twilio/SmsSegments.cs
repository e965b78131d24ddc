using System.Text;

namespace Commitments.Twilio;

public enum SmsEncoding
{
    Gsm7 = 0,
    Ucs2 = 1,
}

/// <summary>How a body travels: its encoding, the units it takes and the segments it is billed as.</summary>
public readonly record struct SegmentCount(SmsEncoding Encoding, int Units, int Segments);

/// <summary>
/// Counts segments as Twilio bills them (§5): GSM-7 160 alone or 153 per part, UCS-2 70 or 67; a GSM extension
/// character costs two septets and is never split.
/// </summary>
public static class SmsSegments
{
    public const int MaxBodyLength = 1600;

    private const string GsmBasic =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string GsmExtension = "^{}\\[]~|€\f";

    private static readonly HashSet<char> Basic = [.. GsmBasic];
    private static readonly HashSet<char> Extension = [.. GsmExtension];

    public static bool IsGsm7(char c) => Basic.Contains(c) || Extension.Contains(c);

    public static SegmentCount Count(string body, bool smartEncode = false)
    {
        if (smartEncode)
        {
            body = SmartEncoding.Apply(body);
        }

        if (body.All(IsGsm7))
        {
            var septets = body.Sum(c => Extension.Contains(c) ? 2 : 1);
            return new(SmsEncoding.Gsm7, septets, septets <= 160 ? 1 : Pack(body.Select(c => Extension.Contains(c) ? 2 : 1), 153));
        }

        var units = body.Length;
        return new(SmsEncoding.Ucs2, units, units <= 70 ? 1 : Pack(Ucs2Characters(body), 67));
    }

    /// <summary>Parts needed when no character (given as its unit cost) may be split.</summary>
    private static int Pack(IEnumerable<int> costs, int perPart)
    {
        var parts = 1;
        var used = 0;
        foreach (var cost in costs)
        {
            if (used + cost > perPart)
            {
                parts++;
                used = 0;
            }

            used += cost;
        }

        return parts;
    }

    /// <summary>UTF-16 units per character, keeping a surrogate pair (an emoji) whole.</summary>
    private static IEnumerable<int> Ucs2Characters(string body)
    {
        for (var i = 0; i < body.Length; i++)
        {
            if (char.IsHighSurrogate(body[i]) && i + 1 < body.Length && char.IsLowSurrogate(body[i + 1]))
            {
                i++;
                yield return 2;
            }
            else
            {
                yield return 1;
            }
        }
    }
}

/// <summary>
/// Twilio's smart encoding (§5): look-alikes (curly quotes, dashes, odd spaces, fullwidth forms) become GSM so a
/// text stays GSM-7; emoji and non-Latin scripts are left alone.
/// </summary>
public static class SmartEncoding
{
    private static readonly Dictionary<char, string> Map = Build();

    public static string Apply(string text)
    {
        StringBuilder? result = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (Map.TryGetValue(text[i], out var replacement))
            {
                result ??= new StringBuilder(text, 0, i, text.Length);
                result.Append(replacement);
            }
            else
            {
                result?.Append(text[i]);
            }
        }

        return result?.ToString() ?? text;
    }

    private static Dictionary<char, string> Build()
    {
        var map = new Dictionary<char, string>();
        void Add(string from, string to)
        {
            foreach (var c in from)
            {
                map[c] = to;
            }
        }

        Add("«»“”„‟″‶〝〞＂", "\"");
        Add("‘’‚‛′‵＇`´", "'");
        Add("‐‑‒–—―⁃−﹘﹣－", "-");
        Add("\u00A0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000", " ");
        Add("\u200B\u200C\u200D\u2060\uFEFF\u00AD", "");
        Add("…", "...");
        Add("‹", "<");
        Add("›", ">");
        Add("⁄∕", "/");
        Add("¦", "|");
        Add("ˆ", "^");
        Add("˜", "~");
        Add("•", "-");
        Add("∶", ":");
        Add("ǀ", "|");

        // Fullwidth ASCII (U+FF01–U+FF5E) maps to ASCII.
        for (var c = '\uFF01'; c <= '\uFF5E'; c++)
        {
            map.TryAdd(c, ((char)(c - 0xFEE0)).ToString());
        }

        return map;
    }
}
