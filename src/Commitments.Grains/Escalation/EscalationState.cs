namespace Commitments.Grains.Escalation;

/// <summary>Where a promise's escalation stands; part of the promise's stored state.</summary>
[GenerateSerializer, Alias("commitments.escalation-state")]
public sealed class EscalationState
{
    /// <summary>Bumped whenever the deadline changes (reschedule, reopen): the plan starts over from it.</summary>
    [Id(0)] public int PlanVersion { get; set; }

    /// <summary>Steps already taken, as "{plan version}:{step key}", so running a step twice changes nothing.</summary>
    [Id(1)] public HashSet<string> Done { get; set; } = [];

    [Id(2)] public Acknowledgement? Ack { get; set; }

    /// <summary>The highest overdue level reached in this plan.</summary>
    [Id(3)] public int Level { get; set; }
}

/// <summary>Someone said they are on it: repeats at this level stop, and the next level waits until <see cref="Until"/>.</summary>
[GenerateSerializer, Immutable, Alias("commitments.acknowledgement")]
public sealed record Acknowledgement(
    [property: Id(0)] string By,
    [property: Id(1)] DateTimeOffset At,
    [property: Id(2)] int Level,
    [property: Id(3)] DateTimeOffset Until);

/// <summary>What the escalation of one promise did now, and when it next has something to do.</summary>
[GenerateSerializer, Immutable, Alias("commitments.escalation-run")]
public sealed record EscalationRun(
    [property: Id(0)] IReadOnlyList<string> Ran,
    [property: Id(1)] DateTimeOffset? NextAt);
