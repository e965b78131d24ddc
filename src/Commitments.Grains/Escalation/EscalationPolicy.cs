using Commitments.Grains.Common;

namespace Commitments.Grains.Escalation;

/// <summary>Who a level texts: the owner, the owner's team leads, the site's managers, or one named person.</summary>
public static class Notify
{
    public const string Owner = "owner";
    public const string Leads = "leads";
    public const string Managers = "managers";
    public const string StaffPrefix = "staff:";

    public static string Staff(string staffId) => StaffPrefix + staffId;
}

/// <summary>One overdue level: <see cref="After"/> past the deadline, these people are texted (each text names the owner).</summary>
[GenerateSerializer, Immutable, Alias("commitments.escalation-level")]
public sealed record EscalationLevel([property: Id(0)] TimeSpan After, [property: Id(1)] IReadOnlyList<string> Notify);

/// <summary>
/// A team's escalation policy. Moments come from the deadline (or offer time), never from when an earlier step ran,
/// so delays never compound.
/// </summary>
[GenerateSerializer, Immutable, Alias("commitments.escalation-policy")]
public sealed record EscalationPolicy(
    [property: Id(0)] TimeSpan RemindBefore,
    [property: Id(1)] IReadOnlyList<EscalationLevel> Levels,
    [property: Id(2)] TimeSpan RepeatEvery,
    [property: Id(3)] int MaxRepeats,
    [property: Id(4)] TimeSpan AckTimeout,
    [property: Id(5)] TimeSpan CustomerApologyAfter,
    [property: Id(6)] TimeSpan HandoffAcceptWithin)
{
    public static readonly TimeSpan MaxDuration = TimeSpan.FromDays(7);
    public const int MaxLevels = 10;
    public const int MaxRepeatLimit = 20;

    /// <summary>The defaults every team starts with.</summary>
    public static EscalationPolicy Default { get; } = new(
        RemindBefore: TimeSpan.FromMinutes(15),
        Levels:
        [
            new(TimeSpan.Zero, [Escalation.Notify.Owner]),
            new(TimeSpan.FromMinutes(10), [Escalation.Notify.Owner, Escalation.Notify.Leads]),
            new(TimeSpan.FromMinutes(20), [Escalation.Notify.Managers]),
        ],
        RepeatEvery: TimeSpan.FromMinutes(10),
        MaxRepeats: 3,
        AckTimeout: TimeSpan.FromMinutes(15),
        CustomerApologyAfter: TimeSpan.FromMinutes(15),
        HandoffAcceptWithin: TimeSpan.FromMinutes(10));

    /// <summary>Checks the policy, naming each bad field; <paramref name="staffExists"/> says whether a named person is on the site.</summary>
    public void Validate(Func<string, bool> staffExists)
    {
        var v = new Validation();
        Within(v, "remindBefore", RemindBefore, TimeSpan.Zero, TimeSpan.FromDays(1));
        Within(v, "repeatEvery", RepeatEvery, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Within(v, "ackTimeout", AckTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Within(v, "customerApologyAfter", CustomerApologyAfter, TimeSpan.Zero, MaxDuration);
        Within(v, "handoffAcceptWithin", HandoffAcceptWithin, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        if (MaxRepeats is < 0 or > MaxRepeatLimit)
        {
            v.Add("maxRepeats", $"must be 0–{MaxRepeatLimit}.");
        }

        if (Levels is null || Levels.Count == 0)
        {
            v.Add("levels", "needs at least one level.");
        }
        else if (Levels.Count > MaxLevels)
        {
            v.Add("levels", $"can have at most {MaxLevels} levels.");
        }
        else
        {
            for (var i = 0; i < Levels.Count; i++)
            {
                var level = Levels[i];
                Within(v, $"levels[{i}].after", level.After, TimeSpan.Zero, MaxDuration);
                if (i > 0 && level.After <= Levels[i - 1].After)
                {
                    v.Add($"levels[{i}].after", "must be later than the level before it (levels go in increasing order).");
                }

                if (level.Notify is null || level.Notify.Count == 0)
                {
                    v.Add($"levels[{i}].notify", "must name who to text: owner, leads, managers or staff:<id>.");
                    continue;
                }

                for (var j = 0; j < level.Notify.Count; j++)
                {
                    var who = level.Notify[j];
                    if (who is Escalation.Notify.Owner or Escalation.Notify.Leads or Escalation.Notify.Managers)
                    {
                        continue;
                    }

                    if (who?.StartsWith(Escalation.Notify.StaffPrefix, StringComparison.Ordinal) != true)
                    {
                        v.Add($"levels[{i}].notify[{j}]", $"'{who}' is not owner, leads, managers or staff:<id> (never a whole team).");
                    }
                    else if (!staffExists(who[Escalation.Notify.StaffPrefix.Length..]))
                    {
                        v.Add(
                            $"levels[{i}].notify[{j}]",
                            $"'{who[Escalation.Notify.StaffPrefix.Length..]}' is not a staff member of this site.");
                    }
                }
            }
        }

        v.ThrowIfInvalid();
    }

    private static void Within(Validation v, string field, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            v.Add(field, $"must be between {min:c} and {max:c}.");
        }
    }
}

/// <summary>The kinds of escalation step.</summary>
public static class StepKinds
{
    public const string Reminder = "reminder";
    public const string Level = "level";
    public const string Repeat = "repeat";
    public const string Apology = "apology";
    public const string HandoffStalled = "handoff-stalled";
}

/// <summary>One step of a promise's plan, at a moment fixed by the deadline (or the offer) and the policy.</summary>
[GenerateSerializer, Immutable, Alias("commitments.planned-step")]
public sealed record PlannedStep(
    [property: Id(0)] string Kind,
    [property: Id(1)] DateTimeOffset At,
    // The level (1-based) for level and repeat steps; the repeat number for repeats.
    [property: Id(2)] int Level = 0,
    [property: Id(3)] int Repeat = 0)
{
    /// <summary>A stable name for the step, for job ids and history.</summary>
    public string Key => Kind switch
    {
        StepKinds.Level => $"level-{Level}",
        StepKinds.Repeat => $"level-{Level}-repeat-{Repeat}",
        _ => Kind,
    };
}

/// <summary>Turns a policy and a promise's deadline (and pending offer) into its escalation plan.</summary>
public static class EscalationPlan
{
    public static IReadOnlyList<PlannedStep> For(EscalationPolicy policy, DateTimeOffset dueAt, DateTimeOffset? handoffOfferedAt)
    {
        var steps = new List<PlannedStep>();
        if (policy.RemindBefore > TimeSpan.Zero)
        {
            steps.Add(new(StepKinds.Reminder, dueAt - policy.RemindBefore));
        }

        for (var i = 0; i < policy.Levels.Count; i++)
        {
            steps.Add(new(StepKinds.Level, dueAt + policy.Levels[i].After, Level: i + 1));
        }

        var last = policy.Levels[^1];
        for (var repeat = 1; repeat <= policy.MaxRepeats; repeat++)
        {
            steps.Add(new(StepKinds.Repeat, dueAt + last.After + (policy.RepeatEvery * repeat), Level: policy.Levels.Count, Repeat: repeat));
        }

        steps.Add(new(StepKinds.Apology, dueAt + policy.CustomerApologyAfter));
        if (handoffOfferedAt is { } offered)
        {
            steps.Add(new(StepKinds.HandoffStalled, offered + policy.HandoffAcceptWithin));
        }

        return [.. steps.OrderBy(s => s.At).ThenBy(s => s.Kind, StringComparer.Ordinal)];
    }
}
