using Commitments.Grains.Common;
using Commitments.Grains.Escalation;

namespace Commitments.Grains.Tests.Escalation;

public sealed class EscalationPolicyTests
{
    private static readonly DateTimeOffset Due = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    [Fact]
    public void TheDefaultPlanIsComputedFromTheDeadline()
    {
        var plan = EscalationPlan.For(EscalationPolicy.Default, Due, handoffOfferedAt: null);

        plan.Select(s => (s.Key, s.At - Due)).ShouldBe([
            ("reminder", TimeSpan.FromMinutes(-15)),
            ("level-1", TimeSpan.Zero),
            ("level-2", TimeSpan.FromMinutes(10)),
            ("apology", TimeSpan.FromMinutes(15)),
            ("level-3", TimeSpan.FromMinutes(20)),
            ("level-3-repeat-1", TimeSpan.FromMinutes(30)),
            ("level-3-repeat-2", TimeSpan.FromMinutes(40)),
            ("level-3-repeat-3", TimeSpan.FromMinutes(50)),
        ]);
    }

    [Fact]
    public void AStalledHandoffIsTimedFromTheOffer()
    {
        var offered = Due.AddHours(-1);

        var plan = EscalationPlan.For(EscalationPolicy.Default, Due, offered);

        plan.Single(s => s.Kind == StepKinds.HandoffStalled).At.ShouldBe(offered.AddMinutes(10));
    }

    [Fact]
    public void NoReminderWhenRemindBeforeIsZero() =>
        EscalationPlan.For(EscalationPolicy.Default with { RemindBefore = TimeSpan.Zero }, Due, null)
            .ShouldNotContain(s => s.Kind == StepKinds.Reminder);

    [Fact]
    public void TheDefaultsAreValid() => Should.NotThrow(() => EscalationPolicy.Default.Validate(_ => true));

    [Fact]
    public void EveryBadFieldIsNamed()
    {
        var policy = new EscalationPolicy(
            RemindBefore: TimeSpan.FromDays(2),
            Levels:
            [
                new(TimeSpan.FromMinutes(10), ["owner"]),
                new(TimeSpan.FromMinutes(5), ["housekeeping"]),
                new(TimeSpan.FromMinutes(20), []),
                new(TimeSpan.FromMinutes(30), ["staff:ghost"]),
            ],
            RepeatEvery: TimeSpan.Zero,
            MaxRepeats: 99,
            AckTimeout: TimeSpan.FromDays(3),
            CustomerApologyAfter: TimeSpan.FromMinutes(-1),
            HandoffAcceptWithin: TimeSpan.Zero);

        var ex = Should.Throw<RuleViolationException>(() => policy.Validate(id => id == "hk1"));

        ex.Errors.Keys.Order().ShouldBe([
            "ackTimeout", "customerApologyAfter", "handoffAcceptWithin", "levels[1].after", "levels[1].notify[0]",
            "levels[2].notify", "levels[3].notify[0]", "maxRepeats", "remindBefore", "repeatEvery"]);
    }

    [Fact]
    public void AtLeastOneLevelIsNeeded() =>
        Should.Throw<RuleViolationException>(() => (EscalationPolicy.Default with { Levels = [] }).Validate(_ => true))
            .Errors.Keys.ShouldBe(["levels"]);
}
