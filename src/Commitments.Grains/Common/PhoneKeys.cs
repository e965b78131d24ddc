using System.Security.Cryptography;
using System.Text;

namespace Commitments.Grains.Common;

/// <summary>
/// Phone numbers in ids, state and logs: an HMAC under <c>Privacy:PhoneKey</c>, so trying every number cannot reverse a key.
/// Set once before the silo runs; required outside Development.
/// </summary>
public static class PhoneKeys
{
    /// <summary>Development only: the host refuses to start in Production without its own key.</summary>
    public static readonly byte[] DevelopmentKey = SHA256.HashData("commitments:development:phone-key"u8);

    private static byte[] _key = DevelopmentKey;

    /// <summary>Sets the deployment's secret (32 bytes or more).</summary>
    public static void Use(byte[] key)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(key.Length, 32, nameof(key));
        _key = key;
    }

    /// <summary>32 hex characters.</summary>
    public static string Of(string e164) => Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(e164)))[..32];

    /// <summary>The old unsalted SHA-256 key: only for moving records.</summary>
    public static string LegacyOf(string e164) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(e164)))[..32];
}
