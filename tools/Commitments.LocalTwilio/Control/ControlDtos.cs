using Commitments.LocalTwilio.Messages;

namespace Commitments.LocalTwilio.Control;

/// <summary>A message as the control API shows it: the Twilio fields plus what the fake did with it.</summary>
internal sealed record FakeMessage(
    string Sid,
    string AccountSid,
    string? MessagingServiceSid,
    string From,
    string To,
    string Body,
    string Status,
    string Direction,
    int NumSegments,
    int NumMedia,
    int? ErrorCode,
    string? ErrorMessage,
    DateTimeOffset DateCreated,
    DateTimeOffset DateUpdated,
    DateTimeOffset? DateSent,
    string? StatusCallback,
    int? ValidityPeriod,
    bool Deleted,
    IReadOnlyList<StatusChange> StatusHistory,
    IReadOnlyList<CallbackRecord> Callbacks)
{
    public static FakeMessage Of(StoredMessage m) => new(
        m.Sid, m.AccountSid, m.MessagingServiceSid, m.From, m.To, m.Body, m.Status, m.Direction, m.NumSegments, m.NumMedia,
        m.ErrorCode, m.ErrorMessage, m.DateCreated, m.DateUpdated, m.DateSent, m.StatusCallback, m.ValidityPeriod, m.Deleted,
        [.. m.StatusHistory], [.. m.Callbacks]);
}

internal sealed record Conversation(string Phone, IReadOnlyList<FakeMessage> Messages);

internal sealed record SetStatusRequest(string? Status, int? ErrorCode);

internal sealed record LifecycleRequest(bool? Auto, int? StepDelayMs, string? FinalStatus, int? ErrorCode);

internal sealed record LifecycleView(bool Auto, int StepDelayMs, string FinalStatus, int? ErrorCode);

internal sealed record CallbackModeRequest(string? Mode);

internal sealed record CallbackModeView(string Mode);

internal sealed record FaultRequest(string? Kind, int? Count, int? DelayMs);

internal sealed record FaultView(string Kind, int DelayMs);

internal sealed record NumberRequest(string? SmsUrl);

internal sealed record NumberView(string Number, string? SmsUrl, string? MessagingServiceSid);

internal sealed record OptOutView(string Handset, string Number);
