using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Commitments.Grains.Customers;

/// <summary>Where the customer's status page lives and the key its links are signed with.</summary>
public sealed class StatusLinkOptions
{
    public const string Section = "StatusLinks";

    /// <summary>This service's public address (defaults to Twilio:PublicBaseUrl).</summary>
    public string? BaseUrl { get; set; }

    /// <summary>Base64, at least 32 bytes. Without one, customers' texts carry no link.</summary>
    public string? SigningKey { get; set; }

    /// <summary>How long a link keeps working after its promise ends.</summary>
    public TimeSpan ValidAfterEnd { get; set; } = TimeSpan.FromDays(30);
}

/// <summary>
/// <c>/s/{site}~{id}~{signature}</c>: the HMAC means a link cannot be guessed or pointed at another promise.
/// </summary>
public sealed class StatusLinks(IOptions<StatusLinkOptions> options)
{
    public const string PathPrefix = "/s/";
    private const int SignatureBytes = 12;

    private readonly byte[]? _key = KeyOf(options.Value.SigningKey);

    public TimeSpan ValidAfterEnd => options.Value.ValidAfterEnd;

    public bool Enabled => _key is not null && !string.IsNullOrEmpty(options.Value.BaseUrl);

    public string Token(string site, Guid id) =>
        $"{site}~{Base64Url(id.ToByteArray())}~{Base64Url(Sign(site, id))}";

    /// <summary>A link stops working <see cref="ValidAfterEnd"/> after its promise was done or cancelled.</summary>
    public bool Expired(Commitments.CommitmentView view, DateTimeOffset now) =>
        view.Status != Commitments.CommitmentStatus.Open
        && view.History.LastOrDefault(e => e.Type is Commitments.EventTypes.Completed or Commitments.EventTypes.Cancelled) is { } end
        && now > end.At + ValidAfterEnd;

    /// <summary>The whole link, or null when links are not configured.</summary>
    public string? Url(string site, Guid id) =>
        Enabled ? options.Value.BaseUrl!.TrimEnd('/') + PathPrefix + Token(site, id) : null;

    /// <summary>The promise a token names, if its signature is right.</summary>
    public bool TryRead(string? token, out string site, out Guid id)
    {
        site = "";
        id = Guid.Empty;
        var parts = token?.Split('~');
        if (_key is null || parts is not { Length: 3 } || parts[0].Length is 0 or > 40)
        {
            return false;
        }

        if (!TryFromBase64Url(parts[1], out var idBytes) || idBytes.Length != 16
            || !TryFromBase64Url(parts[2], out var signature) || signature.Length != SignatureBytes)
        {
            return false;
        }

        var candidate = new Guid(idBytes);
        if (!CryptographicOperations.FixedTimeEquals(signature, Sign(parts[0], candidate)))
        {
            return false;
        }

        (site, id) = (parts[0], candidate);
        return true;
    }

    private byte[] Sign(string site, Guid id) =>
        HMACSHA256.HashData(_key!, Encoding.UTF8.GetBytes($"status-link:v1:{site}:{id:D}"))[..SignatureBytes];

    private static byte[]? KeyOf(string? configured)
    {
        if (string.IsNullOrWhiteSpace(configured))
        {
            return null;
        }

        var key = Convert.FromBase64String(configured);
        return key.Length >= 32 ? key : throw new InvalidOperationException("StatusLinks:SigningKey must be at least 32 bytes (base64).");
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string text, out byte[] bytes)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        bytes = new byte[padded.Length];
        if (Convert.TryFromBase64String(padded, bytes, out var written))
        {
            bytes = bytes[..written];
            return true;
        }

        return false;
    }
}
