using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commitments.Twilio;

/// <summary>A Message resource as Twilio returns it (§1); every field may be null, unknown fields are ignored.</summary>
public sealed record TwilioMessage
{
    [JsonPropertyName("sid")] public string? Sid { get; init; }
    [JsonPropertyName("account_sid")] public string? AccountSid { get; init; }
    [JsonPropertyName("messaging_service_sid")] public string? MessagingServiceSid { get; init; }
    [JsonPropertyName("from")] public string? From { get; init; }
    [JsonPropertyName("to")] public string? To { get; init; }
    [JsonPropertyName("body")] public string? Body { get; init; }
    [JsonPropertyName("status")] public string? Status { get; init; }
    [JsonPropertyName("direction")] public string? Direction { get; init; }
    [JsonPropertyName("num_segments")] public string? NumSegments { get; init; }
    [JsonPropertyName("error_code")] public int? ErrorCode { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("date_created")] public string? DateCreatedText { get; init; }
    [JsonPropertyName("date_updated")] public string? DateUpdatedText { get; init; }
    [JsonPropertyName("date_sent")] public string? DateSentText { get; init; }

    public DateTimeOffset? DateCreated => Rfc2822(DateCreatedText);

    public DateTimeOffset? DateSent => Rfc2822(DateSentText);

    private static DateTimeOffset? Rfc2822(string? text) =>
        DateTimeOffset.TryParseExact(text, "ddd, dd MMM yyyy HH:mm:ss zzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            || DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out at)
            ? at
            : null;
}

internal sealed record TwilioMessagePage
{
    [JsonPropertyName("messages")] public List<TwilioMessage>? Messages { get; init; }
    [JsonPropertyName("next_page_uri")] public string? NextPageUri { get; init; }
}

internal sealed record TwilioErrorBody
{
    [JsonPropertyName("code")] public JsonElement Code { get; init; }
    [JsonPropertyName("message")] public string? Message { get; init; }
    [JsonPropertyName("more_info")] public string? MoreInfo { get; init; }
}

/// <summary>Message statuses and their rank (§2): an update never lowers a text's rank.</summary>
public static class MessageStatus
{
    public const string Accepted = "accepted";
    public const string Scheduled = "scheduled";
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Delivered = "delivered";
    public const string Undelivered = "undelivered";
    public const string Failed = "failed";
    public const string Canceled = "canceled";
    public const string Read = "read";

    public static int Rank(string? status) => status switch
    {
        Accepted or Scheduled => 0,
        Queued => 1,
        Sending => 2,
        Sent => 3,
        Delivered or Undelivered or Failed or Canceled or "partially_delivered" => 4,
        Read => 5,
        _ => -1,
    };

    /// <summary>Nothing more will happen to a text in this status (a delivered one may still be read).</summary>
    public static bool IsFinal(string? status) => Rank(status) >= 4;
}
