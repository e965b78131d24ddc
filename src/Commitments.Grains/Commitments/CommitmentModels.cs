using Commitments.Grains.Common;
using Commitments.Grains.Handoffs;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Commitments;

[GenerateSerializer, Alias("commitments.status")]
public enum CommitmentStatus
{
    Open = 0,
    Done = 1,
    Cancelled = 2,
}

/// <summary>The customer the promise was made to.</summary>
[GenerateSerializer, Immutable, Alias("commitments.customer")]
public sealed record Customer(
    [property: Id(0)] string Name,
    [property: Id(1)] string? Mobile,
    [property: Id(2)] string? Room,
    [property: Id(3)] bool SmsConsent,
    [property: Id(4)] string? Language);

/// <summary>A new promise as the maker describes it; the grain validates and normalises everything.</summary>
[GenerateSerializer, Immutable, Alias("commitments.new-commitment")]
public sealed record NewCommitment(
    [property: Id(0)] string? What,
    [property: Id(1)] CustomerInput? Customer,
    [property: Id(2)] string? DueAt,
    [property: Id(3)] string? HandoffTo,
    [property: Id(4)] string? HandoffNote);

[GenerateSerializer, Immutable, Alias("commitments.customer-input")]
public sealed record CustomerInput(
    [property: Id(0)] string? Name,
    [property: Id(1)] string? Mobile,
    [property: Id(2)] string? Room,
    [property: Id(3)] bool? SmsConsent,
    [property: Id(4)] string? Language);

/// <summary>One entry of the append-only history.</summary>
[GenerateSerializer, Immutable, Alias("commitments.history-event")]
public sealed record HistoryEvent(
    [property: Id(0)] int Seq,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] Actor Actor,
    [property: Id(3)] string Type,
    [property: Id(4)] IReadOnlyDictionary<string, string> Details);

/// <summary>History event types; the names are part of the v1 API.</summary>
public static class EventTypes
{
    public const string Created = "created";
    public const string HandoffProposed = "handoff-proposed";
    public const string HandoffWithdrawn = "handoff-withdrawn";
    public const string HandoffAccepted = "handoff-accepted";
    public const string HandoffDeclined = "handoff-declined";
    public const string Completed = "completed";
    public const string Rescheduled = "rescheduled";
    public const string Cancelled = "cancelled";
    public const string Reopened = "reopened";
    public const string NoteAdded = "note-added";
    public const string CustomerReplied = "customer-replied";
    public const string Rated = "rated";
    public const string Acknowledged = "acknowledged";
    public const string Reminded = "reminded";
    public const string Escalated = "escalated";
    public const string Apologized = "apologized";
    public const string HandoffStalled = "handoff-stalled";
}

/// <summary>A read-only snapshot of one promise, as the grain holds it (times in UTC).</summary>
[GenerateSerializer, Immutable, Alias("commitments.view")]
public sealed record CommitmentView(
    [property: Id(0)] Guid Id,
    [property: Id(1)] string Site,
    [property: Id(2)] string What,
    [property: Id(3)] Customer Customer,
    [property: Id(4)] string PromisedBy,
    [property: Id(5)] string Owner,
    [property: Id(6)] DateTimeOffset DueAt,
    [property: Id(7)] CommitmentStatus Status,
    [property: Id(8)] PendingHandoff? PendingHandoff,
    [property: Id(9)] IReadOnlyList<HistoryEvent> History,
    [property: Id(10)] DateTimeOffset CreatedAt,
    [property: Id(11)] IReadOnlyList<TextView> Texts,
    [property: Id(12)] string? ReplyCode,
    [property: Id(13)] int? Rating)
{
    public int Version => History.Count;
}

/// <summary>The answer to a create: the promise, and whether this call made it (false for a repeat).</summary>
[GenerateSerializer, Immutable, Alias("commitments.create-result")]
public sealed record CreateResult([property: Id(0)] CommitmentView Commitment, [property: Id(1)] bool Created);

/// <summary>Grain keys: one commitment grain per site and id, so a site's promises share a key prefix.</summary>
public static class CommitmentKey
{
    public static string For(string site, Guid id) => $"{site}/{id:D}";

    public static (string Site, Guid Id) Parse(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], Guid.Parse(key.AsSpan(slash + 1)));
    }
}
