namespace Commitments.Grains.Handoffs;

/// <summary>A handoff offered to one named person; the owner stays the owner until they accept.</summary>
[GenerateSerializer, Immutable, Alias("commitments.pending-handoff")]
public sealed record PendingHandoff(
    [property: Id(0)] string To,
    [property: Id(1)] string From,
    [property: Id(2)] string? Note,
    [property: Id(3)] DateTimeOffset At);
