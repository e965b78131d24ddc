using Commitments.Grains.Common;
using Commitments.Grains.Commitments;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Escalation;

/// <summary>
/// Steps prepared in memory ahead of their moment: texts go straight to Twilio at the moment and the step is written once
/// after. A crash before that write leaves the step due with no record, so the next activation looks its texts up at Twilio
/// first: a text never goes twice and a step costs one write.
/// </summary>
internal sealed class StepStaging(IPromise promise, StepPlanner planner, EscalationTextLimits limits, ITextSignal? textSignal)
{
    // Texts this activation has handed to the dispatcher (each goes once).
    private readonly HashSet<string> _handedOff = [];

    // Twilio's answers by text id: if their write fails, the step is recorded again with them instead of a look-up.
    private readonly Dictionary<string, SendOutcome> _outcomesInHand = [];

    // Texts this activation prepared (or claimed again) before their moment: nobody can have sent them.
    private readonly HashSet<string> _stagedHere = [];

    // When this activation handed each prepared step's texts to the dispatcher (by done-key).
    private readonly Dictionary<string, DateTimeOffset> _handedOffAt = [];

    // By done-key: if their record is lost (failed write), the step is taken again with a look-up, never blind.
    private readonly HashSet<string> _sentSteps = [];

    // Set when a prepared step's recipients change (an acknowledgement): every prepared step is re-planned.
    private bool _restage;

    private CommitmentState State => promise.State;

    public bool InHand(string textId) => _handedOff.Contains(textId);

    /// <summary>Hands a text to the dispatcher once; false if it already has it.</summary>
    public bool HandOver(string textId) => _handedOff.Add(textId);

    public SendOutcome? OutcomeInHand(string textId) => _outcomesInHand.GetValueOrDefault(textId);

    public bool SentHere(string doneKey) => _sentSteps.Contains(doneKey);

    /// <summary>When this activation handed the step's texts over, if it did.</summary>
    public DateTimeOffset? HandedOffAt(string doneKey) => _handedOffAt.TryGetValue(doneKey, out var at) ? at : null;

    public void Adopted(string doneKey) => _handedOffAt.Remove(doneKey);

    public void RestageAll() => _restage = true;

    /// <summary>Twilio's answer for a text this activation handed over, kept until it is written.</summary>
    public void OutcomeCame(string textId, SendOutcome outcome)
    {
        if (outcome.MessageSid is not null && _handedOff.Contains(textId))
        {
            _outcomesInHand[textId] = outcome;
        }
    }

    /// <summary>After a write: the outcomes kept in memory that are now on record.</summary>
    public void ForgetWrittenOutcomes()
    {
        if (_outcomesInHand.Count > 0)
        {
            var written = State.Texts.Where(t => t.MessageSid is not null).Select(t => t.Id).ToHashSet();
            foreach (var id in _outcomesInHand.Keys.Where(written.Contains).ToList())
            {
                _outcomesInHand.Remove(id);
            }
        }
    }

    /// <summary>A text handed to the dispatcher with no outcome back yet.</summary>
    public bool OutcomesPending() =>
        State.Texts.Any(t => _handedOff.Contains(t.Id) && t.Stage == TextStage.Attempting && t.AttemptBy == textSignal?.DispatcherId);

    /// <summary>Prepares the steps due at <paramref name="at"/>, in memory (nothing is written before their texts go).</summary>
    public async Task StageAsync(DateTimeOffset at)
    {
        await promise.EnsureLoadedAsync();
        if (textSignal is null || !State.Exists || State.Status != CommitmentStatus.Open)
        {
            return;
        }

        var staff = await promise.StaffDirectory();
        var policy = await planner.PolicyFor(staff);
        foreach (var (step, doneKey) in planner.PendingSteps(policy).Where(s => s.Step.At == at).ToList())
        {
            if (State.Escalation.Staged.FirstOrDefault(x => x.DoneKey == doneKey) is { } known)
            {
                // Prepared by a process since restarted, still before the moment: nothing was sent, claim it anew.
                foreach (var text in State.Texts.Where(t => known.TextIds.Contains(t.Id) && t.Stage == TextStage.Attempting
                    && t.AttemptBy != textSignal.DispatcherId))
                {
                    text.AttemptBy = textSignal.DispatcherId;
                    _stagedHere.Add(text.Id);
                }

                continue;
            }

            var (type, details) = await planner.PlanStep(step, policy, staff, at);
            var site = await promise.RequireSite();
            var before = State.Texts.Count;
            TextPlanner.Plan(
                new PlanContext(State, new HistoryEvent(0, at, Actor.System, type, details), site, staff, at) { IdPrefix = doneKey });
            var added = State.Texts[before..];
            await limits.LimitAsync(added, staff);
            foreach (var text in added.Where(t => t.Stage == TextStage.Waiting))
            {
                text.Body = TextPlanner.Render(text, State, site, staff, at);
                text.Stage = TextStage.Attempting;
                text.AttemptBy = textSignal.DispatcherId;
                text.AttemptStartedAt = at;
                text.Attempts++;
                text.NotBefore = at + TextOutboxes.AttemptLease;
                _stagedHere.Add(text.Id);
            }

            State.Escalation.Staged.Add(new StagedStep
            {
                DoneKey = doneKey, Type = type, At = at, Details = details, TextIds = [.. added.Select(t => t.Id)]
            });
        }
    }

    /// <summary>Hands due prepared steps' texts to the dispatcher before anything else is awaited. True if any step was due.</summary>
    public bool HandOffStaged(DateTimeOffset now)
    {
        if (textSignal is null || State.Escalation.Staged.Count == 0)
        {
            return false;
        }

        var due = State.Escalation.Staged.Where(s => s.At <= now).ToList();
        foreach (var step in due)
        {
            _handedOffAt.TryAdd(step.DoneKey, now);
            _sentSteps.Add(step.DoneKey);
        }

        var ids = due.SelectMany(s => s.TextIds).ToHashSet();
        var known = State.Texts.Where(t => t.MessageSid is not null).Select(t => t.MessageSid!).ToList();
        var send = new List<TextToSend>();
        foreach (var t in State.Texts.Where(t => ids.Contains(t.Id) && t.Stage == TextStage.Attempting && t.Body is not null
            && _handedOff.Add(t.Id)))
        {
            // Sent blind only if this activation prepared it before its moment; otherwise it may have gone, so look first.
            var lookUpSince = _stagedHere.Contains(t.Id) && t.AttemptBy == textSignal.DispatcherId ? null : t.AttemptStartedAt;
            t.AttemptBy = textSignal.DispatcherId;
            // The claim runs from the hand-off, as the dispatcher counts it.
            t.NotBefore = now + TextOutboxes.AttemptLease;
            send.Add(new TextToSend(promise.SiteId, State.Id, t.Id, t.To, t.Body!, lookUpSince, known));
        }

        if (send.Count > 0)
        {
            textSignal.Send(send);
        }

        return due.Count > 0;
    }

    /// <summary>
    /// Before a write: drops, unsent, prepared steps the plan no longer has (all of them after an acknowledgement, which
    /// changes recipients). A dropped step is prepared again or taken the usual way at its moment.
    /// </summary>
    public async Task DropStaleAsync()
    {
        var now = promise.Now;
        var ahead = State.Escalation.Staged.Where(s => s.At > now).ToList();
        var restage = _restage;
        _restage = false;
        if (ahead.Count == 0)
        {
            return;
        }

        HashSet<string> pending = [];
        if (State.Status == CommitmentStatus.Open && !restage)
        {
            pending = [.. planner.PendingSteps(await planner.OwnerPolicyAsync()).Select(p => $"{p.DoneKey}@{p.Step.At.UtcTicks}")];
        }

        foreach (var stale in ahead.Where(s => !pending.Contains($"{s.DoneKey}@{s.At.UtcTicks}")))
        {
            foreach (var text in State.Texts.Where(t => stale.TextIds.Contains(t.Id) && t.Stage == TextStage.Held).ToList())
            {
                await limits.WithdrawAsync(text);
            }

            State.Texts.RemoveAll(t => stale.TextIds.Contains(t.Id) && t.MessageSid is null);
            State.Escalation.Staged.Remove(stale);
        }
    }
}
