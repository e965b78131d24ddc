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

    /// <summary>The scheduled job for the next step (see <see cref="IEscalationScheduler"/>), derived from the plan.</summary>
    [Id(4)] public string? JobId { get; set; }

    /// <summary>The moment <see cref="JobId"/> is for.</summary>
    [Id(5)] public DateTimeOffset? JobAt { get; set; }

    /// <summary>Who acknowledged at which level, as "{plan version}:{level}:{staff id}": never texted again for that level.</summary>
    [Id(6)] public HashSet<string> AckedLevels { get; set; } = [];

    /// <summary>The next step has been scheduled at least once (the reconcile pass checks the rest).</summary>
    [Id(7)] public bool Planned { get; set; }

    /// <summary>When this plan began: a reminder whose moment was already past then is not sent.</summary>
    [Id(8)] public DateTimeOffset? PlanStartedAt { get; set; }

    /// <summary>Steps prepared just before their moment (texts' attempts already recorded).</summary>
    [Id(9)] public List<StagedStep> Staged { get; set; } = [];

    /// <summary>The done-key of the stalled-handoff step for the offer made at <paramref name="offeredAt"/>.</summary>
    public static string StalledKey(DateTimeOffset offeredAt) => $"offer@{offeredAt.UtcTicks}:{StepKinds.HandoffStalled}";
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

/// <summary>
/// A step prepared ahead: its event and texts (already attempts of this dispatcher). If the plan moves first, it is dropped, never sent.
/// </summary>
[GenerateSerializer, Alias("commitments.staged-step")]
public sealed class StagedStep
{
    [Id(0)] public string DoneKey { get; set; } = "";
    [Id(1)] public string Type { get; set; } = "";
    [Id(2)] public DateTimeOffset At { get; set; }
    [Id(3)] public Dictionary<string, string> Details { get; set; } = [];
    [Id(4)] public List<string> TextIds { get; set; } = [];
}
