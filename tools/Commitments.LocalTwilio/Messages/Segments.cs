using System.Buffers;
using System.Text;

namespace Commitments.LocalTwilio.Messages;

/// <summary>
/// num_segments per spec §5: GSM-7 (160 single, 153 per part; extension characters cost 2 and are never
/// split) unless any character is outside GSM-7, then UCS-2 (70 single, 67 per part; characters outside
/// the BMP cost 2 units and are never split). Smart encoding maps look-alikes first.
/// </summary>
internal static class Segments
{
    private const string GsmBasicCharacters =
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

    private const string GsmExtensionCharacters = "\f^{}\\[~]|€";

    private static readonly SearchValues<char> GsmExtension = SearchValues.Create(GsmExtensionCharacters);
    private static readonly SearchValues<char> Gsm = SearchValues.Create(GsmBasicCharacters + GsmExtensionCharacters);

    public static int Count(string body, bool smartEncoded)
    {
        var text = smartEncoded ? SmartEncoding.Apply(body) : body;
        if (text.Length == 0)
        {
            return 1;
        }
        return text.AsSpan().ContainsAnyExcept(Gsm)
            ? Pack(text.EnumerateRunes().Select(r => r.Utf16SequenceLength), single: 70, perPart: 67)
            : Pack(text.Select(c => GsmExtension.Contains(c) ? 2 : 1), single: 160, perPart: 153);
    }

    private static int Pack(IEnumerable<int> costs, int single, int perPart)
    {
        var units = costs.ToList();
        if (units.Sum() <= single)
        {
            return 1;
        }
        var parts = 1;
        var used = 0;
        foreach (var cost in units)
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
}

/// <summary>The look-alike replacements Twilio's smart encoding applies (a subset of SmartEncodingMap.ts: quotes, dashes, ellipsis, spaces, fullwidth forms).</summary>
internal static class SmartEncoding
{
    private static readonly Dictionary<char, string> Map = Build();

    public static string Apply(string text)
    {
        var result = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (Map.TryGetValue(c, out var replacement))
            {
                result.Append(replacement);
            }
            else
            {
                result.Append(c);
            }
        }
        return result.ToString();
    }

    private static Dictionary<char, string> Build()
    {
        var map = new Dictionary<char, string>();
        foreach (var c in "«»“”„‟″＂˝ʺˮ‶❝❞〝〞")
        {
            map[c] = "\"";
        }
        foreach (var c in "‘’‚‛′‵´ˊʹʻʼʽˈ❛❜＇")
        {
            map[c] = "'";
        }
        foreach (var c in "‐‑‒–—―⁃﹣－")
        {
            map[c] = "-";
        }
        foreach (var c in "\u00A0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u202F\u205F\u3000")
        {
            map[c] = " ";
        }
        map['\u200B'] = "";
        map['…'] = "...";
        map['‹'] = "<";
        map['›'] = ">";
        map['⁄'] = "/";
        map['∕'] = "/";
        map['ˆ'] = "^";
        map['˜'] = "~";
        // Fullwidth ASCII forms (！ to ～) map onto ASCII.
        for (var c = '\uFF01'; c <= '\uFF5E'; c++)
        {
            map.TryAdd(c, ((char)(c - 0xFEE0)).ToString());
        }
        return map;
    }
}
