using System.Text.RegularExpressions;

namespace Commitments.Twilio;

/// <summary>Twilio Messaging settings (section "Twilio"). Real Twilio unless <see cref="BaseUrl"/> says otherwise.</summary>
public sealed partial class TwilioOptions
{
    public const string DefaultBaseUrl = "https://api.twilio.com";

    public string? AccountSid { get; set; }

    /// <summary>API key and secret: the recommended credentials.</summary>
    public string? ApiKeySid { get; set; }

    public string? ApiKeySecret { get; set; }

    /// <summary>Signs webhooks, and is the API credential when no API key is set.</summary>
    public string? AuthToken { get; set; }

    /// <summary>While a new token is being promoted, webhooks signed with this one are accepted too.</summary>
    public string? SecondaryAuthToken { get; set; }

    /// <summary>The sender number; or use <see cref="MessagingServiceSid"/>.</summary>
    public string? From { get; set; }

    /// <summary>A Messaging Service that picks the sender from its pool.</summary>
    public string? MessagingServiceSid { get; set; }

    /// <summary>This service's URL as Twilio calls it; webhooks are validated against it, not the Host header.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>The API host; the local Twilio in development and tests.</summary>
    public string BaseUrl { get; set; } = DefaultBaseUrl;

    /// <summary>Segments per second per sender: 1 is the US long-code rate, short codes go up to 10,000.</summary>
    public double MessagesPerSecond { get; set; } = 1;

    /// <summary>API requests in flight at once.</summary>
    public int MaxConcurrentRequests { get; set; } = 4;

    /// <summary>After this an API call's outcome counts as unknown.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Seconds a text stays worth delivering (1–36000; Twilio's default).</summary>
    public int ValidityPeriodSeconds { get; set; } = 36000;

    public bool UsesApiKey => !string.IsNullOrEmpty(ApiKeySid);

    /// <summary>Each problem names its key; empty when the settings are usable.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (AccountSid is null || !Sid("AC").IsMatch(AccountSid))
        {
            problems.Add("Twilio:AccountSid must be 'AC' followed by 32 hex digits.");
        }

        if (UsesApiKey)
        {
            if (!Sid("SK").IsMatch(ApiKeySid!))
            {
                problems.Add("Twilio:ApiKeySid must be 'SK' followed by 32 hex digits.");
            }

            if (string.IsNullOrEmpty(ApiKeySecret))
            {
                problems.Add("Twilio:ApiKeySecret is required with Twilio:ApiKeySid.");
            }
        }
        else if (string.IsNullOrEmpty(AuthToken))
        {
            problems.Add("Set Twilio:ApiKeySid and Twilio:ApiKeySecret (recommended) or Twilio:AuthToken.");
        }

        if (string.IsNullOrEmpty(AuthToken))
        {
            problems.Add("Twilio:AuthToken is required: it is the key Twilio signs webhooks with.");
        }

        if (string.IsNullOrEmpty(From) == string.IsNullOrEmpty(MessagingServiceSid))
        {
            problems.Add("Set exactly one of Twilio:From (an E.164 number) or Twilio:MessagingServiceSid.");
        }
        else if (From is not null && !E164.IsValid(From))
        {
            problems.Add("Twilio:From must be an E.164 number such as +14155550100.");
        }
        else if (MessagingServiceSid is not null && !Sid("MG").IsMatch(MessagingServiceSid))
        {
            problems.Add("Twilio:MessagingServiceSid must be 'MG' followed by 32 hex digits.");
        }

        if (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var publicUrl) || publicUrl.Scheme is not ("http" or "https"))
        {
            problems.Add("Twilio:PublicBaseUrl must be the absolute http(s) URL Twilio uses to reach this service.");
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var baseUrl) || baseUrl.Scheme is not ("http" or "https"))
        {
            problems.Add("Twilio:BaseUrl must be an absolute http(s) URL.");
        }

        if (MessagesPerSecond is <= 0 or > 10000)
        {
            problems.Add("Twilio:MessagesPerSecond must be above 0 and at most 10000.");
        }

        if (MaxConcurrentRequests is < 1 or > 100)
        {
            problems.Add("Twilio:MaxConcurrentRequests must be 1–100.");
        }

        if (ValidityPeriodSeconds is < 1 or > 36000)
        {
            problems.Add("Twilio:ValidityPeriodSeconds must be 1–36000.");
        }

        return problems;
    }

    private static Regex Sid(string prefix) => prefix switch
    {
        "AC" => AccountSidPattern(),
        "SK" => ApiKeyPattern(),
        _ => ServicePattern(),
    };

    [GeneratedRegex("^AC[0-9a-fA-F]{32}$")]
    private static partial Regex AccountSidPattern();

    [GeneratedRegex("^SK[0-9a-fA-F]{32}$")]
    private static partial Regex ApiKeyPattern();

    [GeneratedRegex("^MG[0-9a-fA-F]{32}$")]
    private static partial Regex ServicePattern();
}

/// <summary>E.164 as Twilio takes it: a plus and 1–15 digits, the first not zero (§7).</summary>
public static partial class E164
{
    public static bool IsValid(string? number) => number is not null && Pattern().IsMatch(number);

    [GeneratedRegex(@"^\+[1-9][0-9]{1,14}$")]
    private static partial Regex Pattern();
}
