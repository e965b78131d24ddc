using Commitments.Grains.Common;
using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Escalation;

/// <summary>
/// A promise's escalation steps, owned by its grain: the grain decides every step; the edges only call it on time.
/// </summary>
internal sealed partial class EscalationSteps
{
    /// <summary>Marks texts an earlier activation may have sent: the dispatcher looks them up first.</summary>
    public const string EarlierActivation = "earlier-activation";

    private readonly IPromise _promise;
    private readonly ITextSignal? _textSignal;
    private readonly ILogger _logger;
    private readonly StepPlanner _planner;
    private readonly EscalationTextLimits _limits;
    private readonly StepStaging _staging;
    private readonly EscalationTimers _timers;
    private readonly EscalationJobPlan _jobs;

    // A step due before this may have been sent by the previous activation with its record lost: look its texts up first.
    private readonly DateTimeOffset _activatedAt;

    // Events whose texts may already have gone: by event seq, the step's moment.
    private readonly Dictionary<int, DateTimeOffset> _lookUpFirst = [];

    // By event seq: texts are named after the step's done-key, so every path to one step's text for one person has one id.
    private readonly Dictionary<int, string> _stepOfEvent = [];

    // Memory holds something for the pending write (a step whose texts went before its record, an outcome).
    private bool _unwritten;

    // Set while the reconcile pass takes steps, so the history can say why one was late.
    private bool _reconciling;

    public EscalationSteps(IPromise promise, ITextSignal? textSignal, IEscalationScheduler? scheduler, ILogger logger)
    {
        _promise = promise;
        _textSignal = textSignal;
        _logger = logger;
        _activatedAt = promise.Now;
        _planner = new StepPlanner(promise);
        _limits = new EscalationTextLimits(promise);
        _staging = new StepStaging(promise, _planner, _limits, textSignal);
        _timers = new EscalationTimers(promise, _staging, logger);
        _jobs = new EscalationJobPlan(promise, _planner, _timers, scheduler, logger);
    }

    private CommitmentState State => _promise.State;

    public Task EscalateAt(DateTimeOffset at) => _timers.EscalateAt(at);

    /// <summary>The stored state was read again: what memory had for the lost write is forgotten.</summary>
    public void Reset()
    {
        _lookUpFirst.Clear();
        _stepOfEvent.Clear();
        _unwritten = false;
    }

    public void Written() => _unwritten = false;

    /// <summary>The id prefix of the texts of event <paramref name="seq"/>: an escalation step's done-key.</summary>
    public string? TextIdPrefix(int seq) => _stepOfEvent.GetValueOrDefault(seq);

    /// <summary>Before texts are planned: re-reads the policy and drops prepared steps the plan no longer has.</summary>
    public Task BeforePlanAsync()
    {
        _planner.ForgetPolicy();
        return _staging.DropStaleAsync();
    }

    /// <summary>New texts planned: applies the per-person limit, and marks a late step's texts to be looked up first.</summary>
    public async Task TextsPlannedAsync(
        IReadOnlyList<OutboundText> added, SiteInfo site, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        _stepOfEvent.Clear();
        await _limits.LimitAsync(added, staff);
        MarkForLookUp(added, site, staff);
    }

    /// <summary>Before a write: the job for the next step. Returns the job it replaces, for <see cref="AfterWrite"/>.</summary>
    public Task<string?> PlanJobAsync() => _jobs.PlanAsync();

    public void AfterWrite(string? obsoleteJob)
    {
        _staging.ForgetWrittenOutcomes();
        _jobs.Delete(obsoleteJob);
    }

    public void OutcomeCame(string textId, SendOutcome outcome) => _staging.OutcomeCame(textId, outcome);

    /// <summary>
    /// A text handed over before its step is written: its outcome is written with that step; if that write
    /// never happens the step comes due with no record and its texts are looked up first.
    /// </summary>
    public bool WritesWithStep(string textId)
    {
        if (!_timers.WriteSoonPending || !_staging.InHand(textId))
        {
            return false;
        }

        _unwritten = true;
        return true;
    }

    public async Task<DateTimeOffset?> NextAtAsync() =>
        State.Status == CommitmentStatus.Open
            ? _planner.NextStepAt(await _planner.PolicyFor(await _promise.StaffDirectory()))
            : null;

    public async Task<EscalationRun> ReconcileAsync(bool jobLost, string? lostJob)
    {
        if (jobLost && State.Escalation.JobAt is { } at && _timers.WaitingFor != at
            && (lostJob is null || lostJob == State.Escalation.JobId))
        {
            // In-memory job storage forgets on a crash; a new job is scheduled when the steps are written.
            State.Escalation.JobId = null;
        }

        _reconciling = true;
        try
        {
            return await _promise.Escalate();
        }
        finally
        {
            _reconciling = false;
        }
    }

    /// <summary>Someone is on it: this level's repeats stop, later levels wait until it runs out, steps ahead are re-planned.</summary>
    public async Task AcknowledgeAsync(Actor actor, StaffInfo staff, int? minutes)
    {
        var directory = await _promise.StaffDirectory();
        var ownerTeam = directory.GetValueOrDefault(State.Owner)?.Team;
        if (staff.Id != State.Owner && !staff.IsManager && !(staff.Lead && staff.Team == ownerTeam))
        {
            throw RuleViolationException.Forbidden(
                $"Only the owner ({State.Owner}), a lead of their team or a manager can acknowledge this promise.");
        }

        if (minutes is < 1 or > 24 * 60)
        {
            throw RuleViolationException.Invalid("minutes", "must be 1–1440.");
        }

        PromiseCaps.RequireRoom(State, PromiseCaps.Acknowledgements, "acknowledgements", EventTypes.Acknowledged);

        var policy = await _planner.PolicyFor(directory);
        var now = _promise.Now;
        var until = now + (minutes is { } m ? TimeSpan.FromMinutes(m) : policy.AckTimeout);
        State.Escalation.Ack = new Acknowledgement(staff.Id, now, State.Escalation.Level, until);
        State.Escalation.AckedLevels.Add(_planner.AckedKey(State.Escalation.Level, staff.Id));
        _staging.RestageAll();
        _promise.Append(actor, now, EventTypes.Acknowledged, EventDetails.Acknowledged(staff.Id, State.Escalation.Level, until));
    }

    /// <summary>A new deadline starts the plan over (old steps no longer apply; the history says so).</summary>
    public void Restart()
    {
        State.Escalation.PlanVersion++;
        State.Escalation.PlanStartedAt = _promise.Now;
        State.Escalation.Ack = null;
        State.Escalation.Level = 0;
    }

    /// <summary>Takes every step that is due (the promise is loaded and exists), and writes them.</summary>
    public async Task<EscalationRun> TakeDueAsync()
    {
        var now = _promise.Now;
        _staging.HandOffStaged(now);
        if (State.Status != CommitmentStatus.Open)
        {
            // Closed between a prepared step's texts going out and its event: the texts went, so record the event.
            var adopted = AdoptHandedOff(now);
            if (adopted > 0 || State.Escalation.JobId is not null || _unwritten)
            {
                await _promise.SaveAsync(indexInBackground: true);
            }

            return new EscalationRun([], null);
        }

        var staff = await _promise.StaffDirectory();
        var policy = await _planner.PolicyFor(staff);
        var ran = new List<string>();
        var (heldChanged, released) = await _limits.ReleaseHeldAsync(now, staff);
        if (released)
        {
            ran.Add("held-texts");
        }

        foreach (var (step, doneKey) in _planner.PendingSteps(policy).Where(s => s.Step.At <= now))
        {
            var at = now;
            if (State.Escalation.Staged.FirstOrDefault(x => x.DoneKey == doneKey) is { } staged)
            {
                at = Adopt(staged, now);
            }
            else
            {
                var lookUp = step.At < _activatedAt + EscalationTiming.ClockSkewAllowance || _staging.SentHere(doneKey);
                var (type, details) = await _planner.PlanStep(step, policy, staff, now);
                if (lookUp)
                {
                    // Worded as at its moment: the dispatcher looks it up at Twilio by body, and "1 min late"
                    // would not find the "0 min late" already sent.
                    _planner.WordAsAt(details, step.At);
                }

                var e = RecordStep(type, details, now, textsPlanned: false);
                State.Escalation.Done.Add(doneKey);
                _stepOfEvent[e.Seq] = doneKey;
                if (lookUp)
                {
                    _lookUpFirst[e.Seq] = step.At;
                }
            }

            if (at - step.At > EscalationTiming.LateNoteAfter)
            {
                NoteDelay(at - step.At);
            }

            ran.Add(step.Key);
        }

        var next = _planner.NextStepAt(policy);
        if ((ran.Count > 0 || heldChanged || _jobs.OutOfDate(next) || _unwritten) && !await SendLookUpsBeforeWritingAsync())
        {
            await _promise.SaveAsync(indexInBackground: true);
        }

        return new EscalationRun(ran, next);
    }

    /// <summary>
    /// Writes a step whose texts just went before deactivating, so the next activation has nothing to look up
    /// (if it fails, the next activation looks them up at Twilio first).
    /// </summary>
    public async Task OnDeactivateAsync(CancellationToken cancellationToken)
    {
        if (!_timers.WriteSoonPending)
        {
            return;
        }

        _timers.StopWriteSoon();
        try
        {
            AdoptHandedOff(_promise.Now);

            // Only the step: other grains may be gone during shutdown. The reconcile pass plans its next job.
            await _promise.WriteOnlyAsync(cancellationToken);
            _unwritten = false;
            await _promise.TellIndexAsync().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAdoptOnDeactivationFailed(_logger, ex, State.Id);
        }
    }

    private int AdoptHandedOff(DateTimeOffset now)
    {
        var adopted = State.Escalation.Staged.Where(s => _staging.HandedOffAt(s.DoneKey) is not null).ToList();
        foreach (var staged in adopted)
        {
            Adopt(staged, now);
        }

        return adopted.Count;
    }

    /// <summary>A prepared step becomes history: its event, at the moment its texts went out (or now, if they go only now).</summary>
    private DateTimeOffset Adopt(StagedStep staged, DateTimeOffset now)
    {
        var at = _staging.HandedOffAt(staged.DoneKey) is { } handed && (State.History.Count == 0 || handed >= State.History[^1].At)
            ? handed
            : now;
        var e = RecordStep(staged.Type, staged.Details, at, textsPlanned: true);
        foreach (var text in State.Texts.Where(t => staged.TextIds.Contains(t.Id)))
        {
            text.EventSeq = e.Seq;
        }

        State.Escalation.Staged.Remove(staged);
        State.Escalation.Done.Add(staged.DoneKey);
        _staging.Adopted(staged.DoneKey);
        return at;
    }

    /// <summary>Appends a step's history event; <paramref name="textsPlanned"/> when its texts were prepared ahead (staged).</summary>
    private HistoryEvent RecordStep(string type, Dictionary<string, string> details, DateTimeOffset now, bool textsPlanned)
    {
        var e = _promise.Append(Actor.System, now, type, details, planTexts: !textsPlanned);
        if (type == EventTypes.Escalated && e.Read().Level is { } level)
        {
            State.Escalation.Level = Math.Max(State.Escalation.Level, level);
        }

        return e;
    }

    private void NoteDelay(TimeSpan delay)
    {
        var e = State.History[^1];
        _promise.Replace(e, e with
        {
            Details = EventDetails.Delayed(e.Details, delay, _reconciling
                ? "It came due while the service was down (or its job was lost); the reconcile pass took it."
                : "Its job ran late."),
        });
    }

    /// <summary>
    /// Texts a step may already have sent before its record was lost: worded as at the step's moment and marked as
    /// nobody's attempt, so the dispatcher looks each up at Twilio and sends only if it is not there.
    /// </summary>
    private void MarkForLookUp(IEnumerable<OutboundText> planned, SiteInfo site, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        if (_lookUpFirst.Count == 0)
        {
            return;
        }

        var now = _promise.Now;
        foreach (var text in planned.Where(t => (t.Stage == TextStage.Waiting && t.NotBefore <= now) || t.Stage == TextStage.Held))
        {
            if (!_lookUpFirst.TryGetValue(text.EventSeq, out var at))
            {
                continue;
            }

            text.Body = TextPlanner.Render(text, State, site, staff, at);
            text.AttemptStartedAt = at;
            if (text.Stage == TextStage.Held)
            {
                // Held by the per-person limit: keeps its words and look-up moment until released.
                continue;
            }

            text.Stage = TextStage.Attempting;
            text.UpdatedAt = now;
            if (_textSignal is not null && _staging.InHand(text.Id) && _staging.OutcomeInHand(text.Id) is { MessageSid: { } } known)
            {
                // Its outcome came back before the record was lost (a failed write): Twilio has it.
                TextAttempts.ApplyOutcome(text, known, now);
                Outbox.TellHandset(_promise, text, now);
            }
            else if (_textSignal is not null && _staging.InHand(text.Id))
            {
                // Our dispatcher has it and may not have reached Twilio, so a look-up now could miss it:
                // wait a lease for its outcome, then look it up and send only if not found.
                text.AttemptBy = _textSignal.DispatcherId;
                text.NotBefore = now + TextOutboxes.AttemptLease;
            }
            else
            {
                text.AttemptBy = EarlierActivation;
                text.NotBefore = now;
            }
        }

        _lookUpFirst.Clear();
    }

    /// <summary>
    /// Late steps whose texts may have gone: hands them to the dispatcher to look up at Twilio first, and writes the step
    /// once with their outcomes (so after a restart extra writes do not delay later steps). A crash before the write
    /// means the next activation looks them up again. False when nothing went (write as usual).
    /// </summary>
    private async Task<bool> SendLookUpsBeforeWritingAsync()
    {
        if (_lookUpFirst.Count == 0 || _textSignal is null)
        {
            return false;
        }

        try
        {
            await _promise.PlanInMemoryAsync();
        }
        catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
        {
            // Nothing was sent or written: memory goes back to the truth, and a retry starts clean.
            await _promise.LoadAsync();
            throw;
        }

        var now = _promise.Now;
        var known = State.Texts.Where(t => t.MessageSid is not null).Select(t => t.MessageSid!).ToList();
        var send = new List<TextToSend>();
        foreach (var t in State.Texts.Where(t => t.Stage == TextStage.Attempting && t.AttemptBy == EarlierActivation
            && t.Body is not null && _staging.HandOver(t.Id)))
        {
            t.AttemptBy = _textSignal.DispatcherId;
            t.Attempts++;
            t.NotBefore = now + TextOutboxes.AttemptLease;
            t.UpdatedAt = now;
            send.Add(new TextToSend(_promise.SiteId, State.Id, t.Id, t.To, t.Body!, t.AttemptStartedAt, known));
        }

        if (send.Count == 0)
        {
            return false;
        }

        _unwritten = true;
        _textSignal.Send(send);
        _timers.WriteSoon(now);
        return true;
    }

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Writing the escalation step of promise {CommitmentId} whose texts went, on deactivation, failed; "
            + "the next activation looks them up at Twilio")]
    private static partial void LogAdoptOnDeactivationFailed(ILogger logger, Exception exception, Guid commitmentId);
}
