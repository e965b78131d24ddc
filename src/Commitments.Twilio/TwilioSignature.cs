using System.Security.Cryptography;
using System.Text;

namespace Commitments.Twilio;

/// <summary>
/// Twilio's webhook signature (§4): HMAC-SHA1, keyed with the Auth Token, over the exact URL Twilio
/// called followed by the form parameters sorted by name (ordinal), name then value, no separators.
/// </summary>
public static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }

        using var hmac = new HMACSHA1(Encoding.UTF8.GetBytes(authToken));
        return Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>
    /// Tries every token, and the URL with its default port toggled: Twilio signs sometimes with :443/:80, sometimes without.
    /// </summary>
    public static bool IsValid(string url, IEnumerable<KeyValuePair<string, string>> form, string? signature, IEnumerable<string?> authTokens)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        var parameters = form.ToList();
        var expected = Encoding.UTF8.GetBytes(signature);
        foreach (var token in authTokens.Where(t => !string.IsNullOrEmpty(t)))
        {
            foreach (var candidate in UrlVariants(url))
            {
                var actual = Encoding.UTF8.GetBytes(Compute(token!, candidate, parameters));
                if (CryptographicOperations.FixedTimeEquals(actual, expected))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>For a JSON body: the URL carries bodySHA256, the lowercase hex SHA-256 of the raw body.</summary>
    public static bool IsValidJson(string url, byte[] body, string? signature, IEnumerable<string?> authTokens)
    {
        var query = new Uri(url).Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=', 2))
            .FirstOrDefault(p => p[0] == "bodySHA256");
        if (query is not { Length: 2 })
        {
            return false;
        }

        var hash = Encoding.UTF8.GetBytes(Convert.ToHexStringLower(SHA256.HashData(body)));
        return CryptographicOperations.FixedTimeEquals(hash, Encoding.UTF8.GetBytes(Uri.UnescapeDataString(query[1])))
            && IsValid(url, [], signature, authTokens);
    }

    private static IEnumerable<string> UrlVariants(string url)
    {
        // Parsed by hand to keep the URL as written, host case and all.
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0)
        {
            yield return url;
            yield break;
        }

        var scheme = url[..schemeEnd];
        var authorityStart = schemeEnd + 3;
        var authorityEnd = url.IndexOfAny(['/', '?', '#'], authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        var authority = url[authorityStart..authorityEnd];
        var at = authority.LastIndexOf('@');
        var host = at >= 0 ? authority[(at + 1)..] : authority;
        var colon = host.LastIndexOf(':');
        var defaultPort = scheme.Equals("https", StringComparison.OrdinalIgnoreCase) ? "443" : "80";
        // Twilio drops any user:pass@ before signing.
        var prefix = url[..authorityStart];
        var rest = url[authorityEnd..];
        yield return $"{prefix}{host}{rest}";
        if (colon < 0)
        {
            yield return $"{prefix}{host}:{defaultPort}{rest}";
        }
        else if (host[(colon + 1)..] == defaultPort)
        {
            yield return $"{prefix}{host[..colon]}{rest}";
        }
    }
}
