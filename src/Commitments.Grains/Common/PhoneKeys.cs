using System.Security.Cryptography;
using System.Text;

namespace Commitments.Grains.Common;

/// <summary>
/// How a phone number is named in grain ids, stored state and logs: an HMAC of the number under the
/// deployment's secret (<c>Privacy:PhoneKey</c>), so a key cannot be turned back into its number by
/// trying every number. The host sets the secret once at start, before the silo runs; outside
/// Development it must be configured. Development and tests use a fixed key.
/// </summary>
public static class PhoneKeys
{
    /// <summary>The fixed key of Development (never used in Production: the host refuses to start without its own).</summary>
    public static readonly byte[] DevelopmentKey = SHA256.HashData("commitments:development:phone-key"u8);

    private static byte[] _key = DevelopmentKey;

    /// <summary>Sets the deployment's secret (32 bytes or more).</summary>
    public static void Use(byte[] key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(key.Length, 32, nameof(key));
        _key = key;
    }

    /// <summary>The key of <paramref name="e164"/> (32 hex characters).</summary>
    public static string Of(string e164) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(e164)))[..32];

    /// <summary>The key records were stored under before keys were keyed (an unsalted SHA-256): only for moving them.</summary>
    public static string LegacyOf(string e164) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e164)))[..32];
}
