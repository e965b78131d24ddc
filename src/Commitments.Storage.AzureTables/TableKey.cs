using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commitments.Storage.AzureTables;

/// <summary>Maps any string to a valid Azure Table PartitionKey or RowKey.</summary>
/// <remarks>
/// Escaping (<c>!XX</c>, <c>~XXXX</c>) is a prefix code: reversible, and <c>Escape(a + b) == Escape(a) + Escape(b)</c>, which
/// key range queries rely on. It avoids <c>/ \ # ?</c>, control characters and <c>% ' +</c> (they trip URL and OData handling).
/// Over-long keys become a prefix, <c>!!</c> (never produced by escaping) and a SHA-256, so they stay distinct.
/// </remarks>
public static class TableKey
{
    /// <summary>The 1 KiB key limit in UTF-16 characters, exactly what Azurite enforces.</summary>
    public const int MaxLength = 512;

    /// <summary>How many characters of the escaped value a shortened key keeps before its hash.</summary>
    public const int ShortenedPrefixLength = MaxLength - 2 - (2 * 32); // "!!" and SHA-256 in hex

    private const string HashMarker = "!!";

    /// <summary>Escapes <paramref name="value"/> to a key that may exceed <see cref="MaxLength"/>.</summary>
    public static string Escape(string value)
    {
        ArgumentNullException.ThrowIfNull(value);

        var builder = new StringBuilder(value.Length + 16);
        foreach (var c in value)
        {
            if (IsKeptAsIs(c))
            {
                builder.Append(c);
            }
            else if (c <= '\u00FF')
            {
                builder.Append('!').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append('~').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>Reverses <see cref="Escape"/>; shortened keys (see <see cref="From"/>) cannot be reversed.</summary>
    /// <exception cref="FormatException">The value is not the output of <see cref="Escape"/>.</exception>
    public static string Unescape(string escaped)
    {
        ArgumentNullException.ThrowIfNull(escaped);

        var builder = new StringBuilder(escaped.Length);
        var index = 0;
        while (index < escaped.Length)
        {
            var c = escaped[index];
            var width = TokenLength(c);
            if (width == 1)
            {
                if (!IsKeptAsIs(c))
                {
                    throw new FormatException($"'{c}' at {index} is not part of an escaped table key.");
                }

                builder.Append(c);
            }
            else
            {
                var hex = index + width <= escaped.Length ? escaped.AsSpan(index + 1, width - 1) : [];
                if (hex.Length != width - 1
                    || !IsUpperHex(hex)
                    || !int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                {
                    throw new FormatException($"The escape sequence at {index} of a table key is malformed or the key was shortened.");
                }

                builder.Append((char)code);
            }

            index += width;
        }

        return builder.ToString();
    }

    /// <summary>Escapes <paramref name="value"/>, shortening it to a prefix and a hash beyond <see cref="MaxLength"/>.</summary>
    public static string From(string value)
    {
        var escaped = Escape(value);
        if (escaped.Length <= MaxLength)
        {
            return escaped;
        }

        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(escaped)));
        return string.Concat(Truncate(escaped, ShortenedPrefixLength), HashMarker, hash);
    }

    /// <summary>Cuts without splitting an escape sequence, so the result is still a prefix of the value's key.</summary>
    internal static string Truncate(string escaped, int maxLength)
    {
        if (escaped.Length <= maxLength)
        {
            return escaped;
        }

        var end = 0;
        while (end < escaped.Length)
        {
            var width = TokenLength(escaped[end]);
            if (end + width > maxLength)
            {
                break;
            }

            end += width;
        }

        return escaped[..end];
    }

    private static int TokenLength(char c) => c switch
    {
        '!' => 3,
        '~' => 5,
        _ => 1,
    };

    private static bool IsKeptAsIs(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_';

    private static bool IsUpperHex(ReadOnlySpan<char> hex)
    {
        foreach (var c in hex)
        {
            if (!char.IsAsciiDigit(c) && c is not (>= 'A' and <= 'F'))
            {
                return false;
            }
        }

        return true;
    }
}
