namespace Commitments.LocalTwilio.Messages;

/// <summary>A message as the fake keeps it. Mutated only under <see cref="MessageStore"/>'s lock.</summary>
internal sealed class StoredMessage
{
    public required string Sid { get; init; }
    public required long Sequence { get; init; }
    public required string AccountSid { get; init; }
    public string? MessagingServiceSid { get; init; }
    public required string From { get; init; }
    public required string To { get; init; }
    public required string Body { get; set; }
    public required string Direction { get; init; }
    public required string Status { get; set; }
    public int NumSegments { get; init; }
    public int NumMedia { get; init; }
    public int? ErrorCode { get; set; }
    public string? ErrorMessage { get; set; }
    public required DateTimeOffset DateCreated { get; init; }
    public required DateTimeOffset DateUpdated { get; set; }
    public DateTimeOffset? DateSent { get; set; }
    public string? StatusCallback { get; init; }
    public int? ValidityPeriod { get; init; }
    public bool Deleted { get; set; }
    public List<StatusChange> StatusHistory { get; } = [];
    public List<CallbackRecord> Callbacks { get; } = [];
}

internal sealed record StatusChange(string Status, DateTimeOffset At);

/// <summary>One webhook the fake sent (or dropped on purpose) and what the app answered; ResponseStatus is null when nothing answered.</summary>
internal sealed record CallbackRecord(string Url, string Status, int? ResponseStatus, DateTimeOffset At, bool Dropped, string? Error);

internal static class Directions
{
    public const string OutboundApi = "outbound-api";
    public const string OutboundReply = "outbound-reply";
    public const string Inbound = "inbound";
}

internal static class Statuses
{
    public static readonly string[] All =
    [
        "accepted", "scheduled", "queued", "sending", "sent", "delivered", "undelivered", "failed",
        "canceled", "read", "partially_delivered", "receiving", "received",
    ];

    public static bool IsTerminal(string status) =>
        status is "delivered" or "undelivered" or "failed" or "canceled" or "read" or "received";

    /// <summary>The Twilio error a delivery failure carries when the caller names none.</summary>
    public static int DefaultErrorCode(string status) => status == "failed" ? 30008 : 30003;

    public static string? ErrorMessage(int? code) => code switch
    {
        null => null,
        30001 => "Queue overflow",
        30002 => "Account suspended",
        30003 => "Unreachable destination handset",
        30004 => "Message blocked",
        30005 => "Unknown destination handset",
        30006 => "Landline or unreachable carrier",
        30007 => "Message filtered",
        30008 => "Unknown error",
        30036 => "Validity Period Expired",
        21610 => "Attempt to send to unsubscribed recipient",
        21617 => "The concatenated message body exceeds the 1600 character limit",
        _ => $"Error {code}",
    };
}
