using System.Globalization;
using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Escalation;

/// <summary>Which escalation steps a promise has ahead, when, and whom each one texts. Changes nothing.</summary>
internal sealed class StepPlanner(IPromise promise)
{
    // Looked up once per save: both the staging check and the job plan need it.
    private EscalationPolicy? _savePolicy;

    private CommitmentState State => promise.State;

    /// <summary>A new save asks the site for the policy again.</summary>
    public void ForgetPolicy() => _savePolicy = null;

    public async Task<EscalationPolicy> OwnerPolicyAsync()
    {
        if (_savePolicy is null)
        {
            var team = (await promise.Site.GetStaff(State.Owner))?.Team;
            _savePolicy = team is null ? EscalationPolicy.Default : await promise.Site.GetPolicy(team);
        }

        return _savePolicy;
    }

    public async Task<EscalationPolicy> PolicyFor(IReadOnlyDictionary<string, StaffInfo> staff) =>
        staff.GetValueOrDefault(State.Owner)?.Team is { } team ? await promise.Site.GetPolicy(team) : EscalationPolicy.Default;

    /// <summary>
    /// Steps not taken yet. An acknowledgement stops its level's repeats and holds later levels until it runs out; nothing else
    /// moves a moment.
    /// </summary>
    public IEnumerable<(PlannedStep Step, string DoneKey)> PendingSteps(EscalationPolicy policy)
    {
        var e = State.Escalation;
        var offer = State.PendingHandoff;
        foreach (var step in EscalationPlan.For(policy, State.DueAt, offer?.At))
        {
            var key = step.Kind == StepKinds.HandoffStalled
                ? EscalationState.StalledKey(offer!.At)
                : $"v{e.PlanVersion}:{step.Key}";
            if (e.Done.Contains(key))
            {
                continue;
            }

            if (step.Kind == StepKinds.Reminder && step.At < (e.PlanStartedAt ?? State.CreatedAt))
            {
                // Promised (or moved) with less time than the reminder's lead: the owner just heard of it.
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

    /// <summary>The next moment the promise has escalation work: a step of its plan, or a held text to release.</summary>
    public DateTimeOffset? NextStepAt(EscalationPolicy policy) =>
        PendingSteps(policy).Select(s => (DateTimeOffset?)s.Step.At)
            .Concat(State.Texts.Where(t => t.Stage == TextStage.Held).Select(t => (DateTimeOffset?)t.NotBefore))
            .Min();

    public string AckedKey(int level, string staffId) =>
        $"{State.Escalation.PlanVersion}:{level.ToString(CultureInfo.InvariantCulture)}:{staffId}";

    /// <summary>What a step does as of <paramref name="now"/>: its history event's type and details (who is texted).</summary>
    public async Task<(string Type, Dictionary<string, string> Details)> PlanStep(
        PlannedStep step, EscalationPolicy policy, IReadOnlyDictionary<string, StaffInfo> staff, DateTimeOffset now)
    {
        switch (step.Kind)
        {
            case StepKinds.Reminder when now < State.DueAt:
                return (EventTypes.Reminded, await Texted([State.Owner], staff));

            case StepKinds.Reminder:
                return (EventTypes.Reminded, EventDetails.Skipped("The deadline had already passed."));

            case StepKinds.Level or StepKinds.Repeat:
                var level = policy.Levels[step.Level - 1];
                // Someone who acknowledged this level is on it: not texted again for it.
                var people = Resolve(level.Notify, staff).Where(p => !State.Escalation.AckedLevels.Contains(AckedKey(step.Level, p)));
                return (EventTypes.Escalated, EventDetails.Escalated(
                    await Texted(people, staff), step.Level, LateMinutes(now), step.Kind == StepKinds.Repeat ? step.Repeat : null));

            case StepKinds.Apology:
                var customer = State.Customer;
                var reachable = customer is { SmsConsent: true, Mobile: { } mobile }
                    && !await IHandsetGrain.For(promise.Grains, mobile).IsOptedOut();
                return (EventTypes.Apologized, reachable
                    ? EventDetails.Apologized(State.Owner)
                    : EventDetails.Skipped("The customer cannot be texted (no mobile, no consent, or opted out)."));

            default:
                var offer = State.PendingHandoff!;
                var recipientTeam = staff.GetValueOrDefault(offer.To)?.Team;
                var stalled = await Texted([offer.From, .. Leads(recipientTeam, staff)], staff);
                return (EventTypes.HandoffStalled, EventDetails.HandoffStalled(stalled, offer.To, MinutesSince(offer.At, now)));
        }
    }

    /// <summary>The numbers in a step's words ("N min late", "offered N min ago") as they were at <paramref name="at"/>.</summary>
    public void WordAsAt(Dictionary<string, string> details, DateTimeOffset at) =>
        EventDetails.Reword(details, LateMinutes(at), State.PendingHandoff is { } offer ? MinutesSince(offer.At, at) : null);

    /// <summary>
    /// The site's "no" is trusted (no read of every phone in a burst; Twilio refuses an opted-out phone anyway); its "yes" is
    /// checked with the phone's grain before anyone is skipped.
    /// </summary>
    public static async Task<bool> OptedOutAsync(IGrainFactory grains, StaffInfo person) =>
        person.OptedOut && await IHandsetGrain.For(grains, person.Mobile).IsOptedOut();

    private int LateMinutes(DateTimeOffset at) => (int)Math.Max(0, Math.Round((at - State.DueAt).TotalMinutes));

    private static int MinutesSince(DateTimeOffset from, DateTimeOffset at) => (int)Math.Round((at - from).TotalMinutes);

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
            if (staff.GetValueOrDefault(id) is { Active: true, MobileUnverified: false } person
                && !await OptedOutAsync(promise.Grains, person))
            {
                reachable.Add(id);
            }
        }

        return EventDetails.Reached(
            reachable, "Nobody at this level can be reached (no lead on the team, no verified phone, or everyone opted out).");
    }
}
