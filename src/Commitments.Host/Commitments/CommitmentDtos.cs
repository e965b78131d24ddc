using System.Globalization;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;

namespace Commitments.Host.Commitments;

// HTTP shapes of the v1 API: client contracts, kept apart from grain state.

public sealed record CreateCommitmentRequest(
    Guid? Id,
    string? What,
    CustomerRequest? Customer,
    string? DueAt,
    string? HandoffTo,
    string? HandoffNote);

public sealed record CustomerRequest(string? Name, string? Mobile, string? Room, bool? SmsConsent, string? Language);

public sealed record HandoffRequest(string? To, string? Note);

public sealed record DeclineRequest(string? Reason);

public sealed record CompleteRequest(string? Note);

public sealed record RescheduleRequest(string? DueAt, string? Reason);

public sealed record CancelRequest(string? Reason);

public sealed record ReopenRequest(string? DueAt, string? Reason);

public sealed record NoteRequest(string? Text);

public sealed record AcknowledgeRequest(int? Minutes);

public sealed record CustomerResponse(string Name, string? Mobile, string? Room, bool SmsConsent, string? Language);

public sealed record PendingHandoffResponse(string To, string From, string? Note, string At);

/// <summary>A text this promise caused: masked number, who it was for, and where it is (never the body).</summary>
public sealed record TextResponse(
    string To, string RecipientRole, string Kind, string Status, int? ErrorCode, string? Reason, string? SentAt, string UpdatedAt);

public sealed record HistoryEventResponse(int Seq, string At, string Actor, string Type, IReadOnlyDictionary<string, string> Details);

public sealed record CommitmentResponse(
    Guid Id,
    string Site,
    string What,
    CustomerResponse Customer,
    string PromisedBy,
    string Owner,
    string DueAt,
    CommitmentStatus Status,
    PendingHandoffResponse? PendingHandoff,
    IReadOnlyList<HistoryEventResponse> History,
    string? ReplyCode,
    int? Rating,
    IReadOnlyList<TextResponse> Texts)
{
    public static CommitmentResponse From(CommitmentView v, TimeZoneInfo zone) => new(
        v.Id,
        v.Site,
        v.What,
        // Numbers are masked in every view (privacy); texts reach the customer without anyone reading it.
        new CustomerResponse(
            v.Customer.Name,
            v.Customer.Mobile is null ? null : Phone.Mask(v.Customer.Mobile),
            v.Customer.Room,
            v.Customer.SmsConsent,
            v.Customer.Language),
        v.PromisedBy,
        v.Owner,
        SiteTime.Format(v.DueAt, zone),
        v.Status,
        v.PendingHandoff is { } p ? new PendingHandoffResponse(p.To, p.From, p.Note, SiteTime.Format(p.At, zone)) : null,
        [.. v.History.Select(e => new HistoryEventResponse(e.Seq, SiteTime.Format(e.At, zone), e.Actor.ToString(), e.Type, e.Details))],
        v.ReplyCode,
        v.Rating,
        [.. v.Texts.Select(t => new TextResponse(t.To, t.RecipientRole, t.Kind, t.Status, t.ErrorCode, t.Reason,
            t.SentAt is { } sent ? SiteTime.Format(sent, zone) : null, SiteTime.Format(t.UpdatedAt, zone)))]);
}

/// <summary>One row of a list: enough to show and sort; the whole promise is one GET away.</summary>
public sealed record CommitmentSummary(
    Guid Id,
    string What,
    string CustomerName,
    string? Room,
    string Owner,
    string DueAt,
    CommitmentStatus Status,
    string? HandoffTo,
    string? HandoffFrom)
{
    public static CommitmentSummary From(IndexEntry e, TimeZoneInfo zone) =>
        new(e.Id, e.What, e.CustomerName, e.Room, e.Owner, SiteTime.Format(e.DueAt, zone), e.Status, e.HandoffTo, e.HandoffFrom);
}

public sealed record CommitmentList(IReadOnlyList<CommitmentSummary> Items);

public sealed record InboxResponse(string Staff, IReadOnlyList<CommitmentSummary> Owned, IReadOnlyList<CommitmentSummary> OfferedToMe);

/// <summary>Instants as the site's clock shows them: ISO-8601 with the site's offset at that moment.</summary>
public static class SiteTime
{
    public static string Format(DateTimeOffset at, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(at, zone).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);
}
