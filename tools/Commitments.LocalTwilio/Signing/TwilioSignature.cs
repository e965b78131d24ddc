using System.Security.Cryptography;
using System.Text;

namespace Commitments.LocalTwilio.Signing;

/// <summary>
/// Twilio's request signature (spec §4): HMAC-SHA1, keyed with the primary auth token, over the exact
/// URL followed by every form parameter as name+value in ordinal name order, Base64-encoded.
/// </summary>
internal static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        // Ordinal, never culture-aware: "CallSid" must sort before "Caller".
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            data.Append(name).Append(value);
        }
        var hash = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString()));
        return Convert.ToBase64String(hash);
    }

    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }
        var expected = Encoding.UTF8.GetBytes(Compute(authToken, url, form));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.UTF8.GetBytes(signature));
    }

    /// <summary>The lowercase hex SHA-256 Twilio puts in the bodySHA256 query parameter of JSON webhooks.</summary>
    public static string BodySha256(string body) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)));
}
