using System.Globalization;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

// Escalation is part of the promise aggregate: the grain decides every step, the edges only call it on time.
namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
    public async Task<EscalationRun> Escalate()
    {
        await EnsureLoadedAsync();
        if (!State.Exists || State.Status != CommitmentStatus.Open)
        {
            return new EscalationRun([], null);
        }

        var now = time.GetUtcNow();
        var staff = await StaffDirectory();
        var policy = await PolicyFor(staff);
        var ran = new List<string>();
        foreach (var (step, doneKey) in PendingSteps(policy).Where(s => s.Step.At <= now))
        {
            await TakeStep(step, policy, staff, now);
            State.Escalation.Done.Add(doneKey);
            ran.Add(step.Key);
        }

        if (ran.Count > 0)
        {
            await SaveAsync();
        }

        return new EscalationRun(ran, NextStepAt(policy));
    }

    public async Task<DateTimeOffset?> NextEscalationAt()
    {
        await EnsureLoadedAsync();
        return State.Exists && State.Status == CommitmentStatus.Open ? NextStepAt(await PolicyFor(await StaffDirectory())) : null;
    }

    public async Task<CommitmentView> Acknowledge(Actor actor, int? minutes)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("acknowledged");
        var directory = await StaffDirectory();
        var ownerTeam = directory.GetValueOrDefault(State.Owner)?.Team;
        if (staff.Id != State.Owner && !staff.IsManager && !(staff.Lead && staff.Team == ownerTeam))
        {
            throw RuleViolationException.Forbidden($"Only the owner ({State.Owner}), a lead of their team or a manager can acknowledge this promise.");
        }

        if (minutes is < 1 or > 24 * 60)
        {
            throw RuleViolationException.Invalid("minutes", "must be 1–1440.");
        }

        var policy = await PolicyFor(directory);
        var now = time.GetUtcNow();
        var until = now + (minutes is { } m ? TimeSpan.FromMinutes(m) : policy.AckTimeout);
        State.Escalation.Ack = new Acknowledgement(staff.Id, now, State.Escalation.Level, until);
        Append(actor, now, EventTypes.Acknowledged, new()
        {
            ["by"] = staff.Id,
            ["level"] = State.Escalation.Level.ToString(CultureInfo.InvariantCulture),
            ["until"] = Iso(until),
        });
        await SaveAsync();
        return View();
    }

    /// <summary>A new deadline starts the plan over (old steps no longer apply; the history says so).</summary>
    private void RestartEscalation()
    {
        State.Escalation.PlanVersion++;
        State.Escalation.Ack = null;
        State.Escalation.Level = 0;
    }

    private async Task<EscalationPolicy> PolicyFor(IReadOnlyDictionary<string, StaffInfo> staff) =>
        staff.GetValueOrDefault(State.Owner)?.Team is { } team ? await Site.GetPolicy(team) : EscalationPolicy.Default;

    private DateTimeOffset? NextStepAt(EscalationPolicy policy) =>
        PendingSteps(policy).Select(s => (DateTimeOffset?)s.Step.At).Min();

    /// <summary>
    /// The plan's steps not taken yet, at their moment. An acknowledgement stops the repeats of its
    /// level and holds later levels until it runs out; nothing else moves a moment.
    /// </summary>
    private IEnumerable<(PlannedStep Step, string DoneKey)> PendingSteps(EscalationPolicy policy)
    {
        var e = State.Escalation;
        var offer = State.PendingHandoff;
        foreach (var step in EscalationPlan.For(policy, State.DueAt, offer?.At))
        {
            var key = step.Kind == StepKinds.HandoffStalled
                ? $"offer@{offer!.At.UtcTicks}:{step.Key}"
                : $"v{e.PlanVersion}:{step.Key}";
            if (e.Done.Contains(key))
            {
                continue;
            }

            var at = step.At;
            if (e.Ack is { } ack && ack.Until > step.At)
            {
                if (step.Kind == StepKinds.Repeat && step.Level <= ack.Level)
                {
                    continue;
                }

                if (step.Kind == StepKinds.Level && step.Level > ack.Level)
                {
                    at = ack.Until;
                }
            }

            yield return (step with { At = at }, key);
        }
    }

    private async Task TakeStep(PlannedStep step, EscalationPolicy policy, IReadOnlyDictionary<string, StaffInfo> staff, DateTimeOffset now)
    {
        var late = (int)Math.Max(0, Math.Round((now - State.DueAt).TotalMinutes));
        switch (step.Kind)
        {
            case StepKinds.Reminder when now < State.DueAt:
                Append(Actor.System, now, EventTypes.Reminded, await Texted([State.Owner], staff));
                break;

            case StepKinds.Reminder:
                Append(Actor.System, now, EventTypes.Reminded, new() { ["skipped"] = "The deadline had already passed." });
                break;

            case StepKinds.Level or StepKinds.Repeat:
                var level = policy.Levels[step.Level - 1];
                var details = await Texted(Resolve(level.Notify, staff), staff);
                details["level"] = step.Level.ToString(CultureInfo.InvariantCulture);
                details["late"] = late.ToString(CultureInfo.InvariantCulture);
                if (step.Kind == StepKinds.Repeat)
                {
                    details["repeat"] = step.Repeat.ToString(CultureInfo.InvariantCulture);
                }

                State.Escalation.Level = Math.Max(State.Escalation.Level, step.Level);
                Append(Actor.System, now, EventTypes.Escalated, details);
                break;

            case StepKinds.Apology:
                var customer = State.Customer;
                var reachable = customer is { SmsConsent: true, Mobile: { } mobile } && !await IHandsetGrain.For(GrainFactory, mobile).IsOptedOut();
                Append(Actor.System, now, EventTypes.Apologized, reachable
                    ? new() { ["owner"] = State.Owner }
                    : new() { ["skipped"] = "The customer cannot be texted (no mobile, no consent, or opted out)." });
                break;

            case StepKinds.HandoffStalled:
                var offer = State.PendingHandoff!;
                var recipientTeam = staff.GetValueOrDefault(offer.To)?.Team;
                var stalled = await Texted([offer.From, .. Leads(recipientTeam, staff)], staff);
                stalled["to"] = offer.To;
                stalled["ago"] = ((int)Math.Round((now - offer.At).TotalMinutes)).ToString(CultureInfo.InvariantCulture);
                Append(Actor.System, now, EventTypes.HandoffStalled, stalled);
                break;
        }
    }

    /// <summary>Who a level's entries mean, by person: the owner, the owner's team leads, the managers, or a named person.</summary>
    private IEnumerable<string> Resolve(IReadOnlyList<string> notify, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var team = staff.GetValueOrDefault(State.Owner)?.Team;
        foreach (var who in notify)
        {
            var people = who switch
            {
                Notify.Owner => [State.Owner],
                Notify.Leads => Leads(team, staff),
                Notify.Managers => staff.Values.Where(s => s.IsManager && s.Active).Select(s => s.Id),
                _ when who.StartsWith(Notify.StaffPrefix, StringComparison.Ordinal) => [who[Notify.StaffPrefix.Length..]],
                _ => [],
            };
            foreach (var person in people)
            {
                yield return person;
            }
        }
    }

    private static IEnumerable<string> Leads(string? team, IReadOnlyDictionary<string, StaffInfo> staff) =>
        staff.Values.Where(s => s.Lead && s.Active && s.Team == team).Select(s => s.Id);

    /// <summary>The reachable people among <paramref name="people"/>, as history details; nobody reachable is said so.</summary>
    private async Task<Dictionary<string, string>> Texted(IEnumerable<string> people, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var reachable = new List<string>();
        foreach (var id in people.Distinct())
        {
            if (staff.GetValueOrDefault(id) is { Active: true } person && !await IHandsetGrain.For(GrainFactory, person.Mobile).IsOptedOut())
            {
                reachable.Add(id);
            }
        }

        return reachable.Count > 0
            ? new() { ["texted"] = string.Join(',', reachable) }
            : new() { ["skipped"] = "Nobody at this level can be reached (no lead on the team, or everyone opted out)." };
    }
}
