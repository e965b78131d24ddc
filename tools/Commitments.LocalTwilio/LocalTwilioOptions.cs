using System.Text.RegularExpressions;

namespace Commitments.LocalTwilio;

/// <summary>
/// Settings of the fake, bound from the "LocalTwilio" section. Every default lets it run with no
/// configuration; the SIDs and secrets are fixed so a dev configuration can name them.
/// </summary>
public sealed partial class LocalTwilioOptions
{
    public const string Section = "LocalTwilio";

    /// <summary>The one account the fake serves ("AC" + 32 hex). Default AC10ca1000…</summary>
    public string AccountSid { get; set; } = "AC10ca1000000000000000000000000000";

    /// <summary>Primary auth token: Basic auth with <see cref="AccountSid"/>, and the key that signs every webhook.</summary>
    public string AuthToken { get; set; } = "10ca17a11ce5ec2e7000000000000000";

    /// <summary>An API key ("SK" + 32 hex) also accepted for Basic auth, with <see cref="ApiKeySecret"/>.</summary>
    public string ApiKeySid { get; set; } = "SK10ca1000000000000000000000000000";

    public string ApiKeySecret { get; set; } = "local-twilio-api-key-secret-0001";

    /// <summary>Numbers the account owns. A number only in a messaging service pool is owned too.</summary>
    public List<PhoneNumberOptions> PhoneNumbers { get; set; } = [];

    public List<MessagingServiceOptions> MessagingServices { get; set; } = [];

    public LifecycleOptions Lifecycle { get; set; } = new();

    /// <summary>Loopback port for <see cref="LocalTwilioServer.StartAsync"/>; 0 picks a free one. The standalone program uses --urls instead.</summary>
    public int Port { get; set; }

    internal IEnumerable<string> Problems()
    {
        if (!AccountSidPattern().IsMatch(AccountSid))
        {
            yield return $"AccountSid '{AccountSid}' is not AC followed by 32 hex digits.";
        }
        if (string.IsNullOrEmpty(AuthToken))
        {
            yield return "AuthToken is required: it signs every webhook.";
        }
        if (!string.IsNullOrEmpty(ApiKeySid) && !ApiKeySidPattern().IsMatch(ApiKeySid))
        {
            yield return $"ApiKeySid '{ApiKeySid}' is not SK followed by 32 hex digits.";
        }
        foreach (var number in PhoneNumbers.Select(p => p.Number).Concat(MessagingServices.SelectMany(s => s.Numbers)))
        {
            if (!PhoneNumber.IsE164(number))
            {
                yield return $"Phone number '{number}' is not E.164.";
            }
        }
        foreach (var service in MessagingServices.Where(s => !ServiceSidPattern().IsMatch(s.Sid)))
        {
            yield return $"Messaging service SID '{service.Sid}' is not MG followed by 32 hex digits.";
        }
        if (Lifecycle.StepDelay < TimeSpan.Zero)
        {
            yield return "Lifecycle:StepDelay must not be negative.";
        }
    }

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")]
    private static partial Regex AccountSidPattern();

    [GeneratedRegex("^SK[0-9a-fA-F]{32}$")]
    private static partial Regex ApiKeySidPattern();

    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")]
    internal static partial Regex ServiceSidPattern();
}

public sealed class PhoneNumberOptions
{
    /// <summary>The owned number, E.164.</summary>
    public string Number { get; set; } = "";

    /// <summary>The number's inbound "Messaging URL"; null until set here or through PUT /_fake/numbers/{number}.</summary>
    public string? SmsUrl { get; set; }
}

public sealed class MessagingServiceOptions
{
    /// <summary>"MG" + 32 hex.</summary>
    public string Sid { get; set; } = "";

    /// <summary>The sender pool; a send with only MessagingServiceSid picks one of these as From.</summary>
    public List<string> Numbers { get; set; } = [];
}

public sealed class LifecycleOptions
{
    /// <summary>Move each new outbound message through its statuses on its own (default true).</summary>
    public bool Auto { get; set; } = true;

    /// <summary>Wait before each status step (default 200 ms).</summary>
    public TimeSpan StepDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}

internal static partial class PhoneNumber
{
    public static bool IsE164(string? value) => value is not null && E164().IsMatch(value);

    /// <summary>ISO country for the few prefixes a dev is likely to use; Twilio sends "" when it does not know.</summary>
    public static string Country(string number) => number switch
    {
        _ when number.StartsWith("+1", StringComparison.Ordinal) => "US",
        _ when number.StartsWith("+44", StringComparison.Ordinal) => "GB",
        _ when number.StartsWith("+49", StringComparison.Ordinal) => "DE",
        _ when number.StartsWith("+33", StringComparison.Ordinal) => "FR",
        _ => "",
    };

    [GeneratedRegex(@"^\+[1-9]\d{1,14}$")]
    private static partial Regex E164();
}
