using Commitments.Grains.Handoffs;

using Commitments.Grains.Escalation;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Commitments;

/// <summary>The stored truth of one promise. Everything else (index, jobs, texts) derives from it.</summary>
[GenerateSerializer, Alias("commitments.commitment-state")]
public sealed class CommitmentState
{
    [Id(0)] public Guid Id { get; set; }
    [Id(1)] public string Site { get; set; } = "";
    [Id(2)] public string What { get; set; } = "";
    [Id(3)] public Customer? Customer { get; set; }
    [Id(4)] public string PromisedBy { get; set; } = "";
    [Id(5)] public string Owner { get; set; } = "";
    [Id(6)] public DateTimeOffset DueAt { get; set; }
    [Id(7)] public CommitmentStatus Status { get; set; }
    [Id(8)] public PendingHandoff? PendingHandoff { get; set; }
    [Id(9)] public List<HistoryEvent> History { get; set; } = [];
    [Id(10)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The normalised create request, so a retry with the same id can be told from a different promise.</summary>
    [Id(11)] public string CreateFingerprint { get; set; } = "";
    /// <summary>The short code staff type in replies (e.g. K7); unique among the site's open promises.</summary>
    [Id(12)] public string? ReplyCode { get; set; }
    /// <summary>The outbox: every text an event caused, written with the event.</summary>
    [Id(13)] public List<OutboundText> Texts { get; set; } = [];
    /// <summary>The customer's rating (1–5) after completion, if they replied one.</summary>
    [Id(14)] public int? Rating { get; set; }
    [Id(15)] public EscalationState Escalation { get; set; } = new();

    public bool Exists => History.Count > 0;
}
