using System.Globalization;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

// Escalation is part of the promise aggregate: the grain decides every step, the edges only call it on time.
namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
    // The moment this activation is waiting for on its own timer (a job woke it a little early).
    private IGrainTimer? _wakeTimer;
    private DateTimeOffset? _wakeAt;

    public async Task EscalateAt(DateTimeOffset at)
    {
        var wait = at - time.GetUtcNow();
        if (wait <= TimeSpan.Zero)
        {
            await Escalate();
            return;
        }

        if (_wakeAt == at)
        {
            return;
        }

        // Jobs fire a little early, so a burst due at one instant is spread over the lead time and
        // each step still runs at its exact moment: the grain prepares the step (its texts'
        // attempts recorded) and waits the last stretch itself, so nothing but the send is left.
        // The job returns at once: the preparing happens in the grain's own turn, so Hangfire's
        // workers are never held up by storage in a burst.
        _wakeTimer?.Dispose();
        _wakeAt = at;
        _wakeTimer = this.RegisterGrainTimer(async _ =>
        {
            try
            {
                await StageAsync(at);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Not prepared: forget what was half prepared in memory (texts planned, not stored),
                // and the step is taken the usual way at its moment.
                LogStagingFailed(logger, ex, State.Id);
                await LoadAsync();
            }

            var left = at - time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                Arm(at, left);
                return;
            }

            _wakeAt = null;
            await Escalate();
        }, new GrainTimerCreationOptions(TimeSpan.Zero, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    // Staged texts this activation has handed to the dispatcher (each goes once).
    private readonly HashSet<string> _handedOff = [];

    // Twilio's answers for those texts (by text id), kept in memory: if the write that records them
    // fails, the step is recorded again with them instead of a look-up.
    private readonly Dictionary<string, SendOutcome> _outcomesInHand = [];

    // When this activation began. A step due before then may have been prepared in memory and sent
    // by the activation before it, with its record lost in a crash: its texts are looked up first.
    private readonly DateTimeOffset _activatedAt = time.GetUtcNow();

    // Steps whose texts this activation handed to the dispatcher (by done-key). If their record is
    // lost (a failed write reloads the promise), the step is taken again with a look-up, never blind.
    private readonly HashSet<string> _sentSteps = [];

    // Events whose texts may already have gone (see above): by event seq, the step's moment.
    private readonly Dictionary<int, DateTimeOffset> _lookUpFirst = [];

    // Steps recorded in this call, by event seq: their texts are named after the step (its done-key),
    // as prepared ones are, so every path to one step's text for one person has one text id (one
    // limiter decision, one outcome, one send in the dispatcher's hands).
    private readonly Dictionary<int, string> _stepOfEvent = [];

    /// <summary>The id prefix of the texts of event <paramref name="seq"/>: an escalation step's done-key.</summary>
    private string? TextIdPrefix(int seq) => _stepOfEvent.GetValueOrDefault(seq);

    /// <summary>How far apart two processes' clocks may be: a step due this close after an activation began is looked up too.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(2);

    /// <summary>The attempt marker of texts that an earlier activation may have sent: the dispatcher looks them up first.</summary>
    public const string EarlierActivation = "earlier-activation";

    // Staged texts this activation prepared (or claimed again) before their moment: nobody can have sent them.
    private readonly HashSet<string> _stagedHere = [];

    /// <summary>
    /// Prepares the steps due at <paramref name="at"/>, in memory: their history details and texts
    /// as of that moment, the texts marked as attempts of this process's dispatcher. At the moment the
    /// texts go straight to Twilio, and the event with the texts' outcomes is written once, a moment
    /// later. Nothing is written before: if the process dies between the send and that write, the
    /// next activation finds the step due with no record and looks its texts up at Twilio before
    /// sending (it began after the moment), so a text never goes twice and the step costs one write.
    /// </summary>
    private async Task StageAsync(DateTimeOffset at)
    {
        await EnsureLoadedAsync();
        if (textSignal is null || !State.Exists || State.Status != CommitmentStatus.Open)
        {
            return;
        }

        var staff = await StaffDirectory();
        var policy = await PolicyFor(staff);
        foreach (var (step, doneKey) in PendingSteps(policy).Where(s => s.Step.At == at).ToList())
        {
            if (State.Escalation.Staged.FirstOrDefault(x => x.DoneKey == doneKey) is { } known)
            {
                // Prepared by a process that has since restarted, still before the moment: nothing was sent, claim it anew.
                foreach (var text in State.Texts.Where(t => known.TextIds.Contains(t.Id) && t.Stage == TextStage.Attempting && t.AttemptBy != textSignal.DispatcherId))
                {
                    text.AttemptBy = textSignal.DispatcherId;
                    _stagedHere.Add(text.Id);
                }

                continue;
            }

            var (type, details) = await PlanStep(step, policy, staff, at);
            var site = await RequireSite();
            var before = State.Texts.Count;
            TextPlanner.Plan(new PlanContext(State, new HistoryEvent(0, at, Actor.System, type, details), site, staff, at) { IdPrefix = doneKey });
            var added = State.Texts[before..];
            await LimitEscalationTextsAsync(added, staff);
            foreach (var text in added.Where(t => t.Stage == TextStage.Waiting))
            {
                text.Body = TextPlanner.Render(text, State, site, staff, at);
                text.Stage = TextStage.Attempting;
                text.AttemptBy = textSignal.DispatcherId;
                text.AttemptStartedAt = at;
                text.Attempts++;
                text.NotBefore = at + AttemptLease;
                _stagedHere.Add(text.Id);
            }

            State.Escalation.Staged.Add(new StagedStep { DoneKey = doneKey, Type = type, At = at, Details = details, TextIds = [.. added.Select(t => t.Id)] });
        }
    }

    // When this activation handed each prepared step's texts to the dispatcher (by done-key).
    private readonly Dictionary<string, DateTimeOffset> _handedOffAt = [];

    /// <summary>The moment of prepared steps came: their texts go to the dispatcher now, before anything else is awaited. True if any step was due.</summary>
    private bool HandOffStaged(DateTimeOffset now)
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
        foreach (var t in State.Texts.Where(t => ids.Contains(t.Id) && t.Stage == TextStage.Attempting && t.Body is not null && _handedOff.Add(t.Id)))
        {
            // Prepared by a process that is gone (one dispatcher per cluster): it may have sent it, so look first.
            // Sent blind only if this activation prepared it before its moment; anything else may have gone already.
            var lookUpSince = _stagedHere.Contains(t.Id) && t.AttemptBy == textSignal.DispatcherId ? null : t.AttemptStartedAt;
            t.AttemptBy = textSignal.DispatcherId;
            // The claim runs from the hand-off, as the dispatcher counts it.
            t.NotBefore = now + AttemptLease;
            send.Add(new TextToSend(SiteId, State.Id, t.Id, t.To, t.Body!, lookUpSince, known));
        }

        if (send.Count > 0)
        {
            textSignal.Send(send);
        }

        return due.Count > 0;
    }

    /// <summary>
    /// Texts of a step that an earlier activation (or this one, before its record was lost) may
    /// have sent from memory: worded as they were at the step's moment, and marked as an attempt of
    /// nobody here, so the dispatcher looks each up at Twilio (same number, same words, since the
    /// moment) and sends only if it is not there.
    /// </summary>
    private void MarkForLookUp(IEnumerable<OutboundText> planned, SiteInfo site, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        if (_lookUpFirst.Count == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        foreach (var text in planned.Where(t => (t.Stage == TextStage.Waiting && t.NotBefore <= now) || t.Stage == TextStage.Held))
        {
            if (_lookUpFirst.TryGetValue(text.EventSeq, out var at))
            {
                text.Body = TextPlanner.Render(text, State, site, staff, at);
                if (text.Stage == TextStage.Held)
                {
                    // Held by the per-person limit: it keeps its words and the moment to look from,
                    // and is looked up when released (see ReleaseHeldTextsAsync).
                    text.AttemptStartedAt = at;
                    continue;
                }

                text.Stage = TextStage.Attempting;
                text.AttemptStartedAt = at;
                text.UpdatedAt = now;
                if (textSignal is not null && _handedOff.Contains(text.Id) && _outcomesInHand.GetValueOrDefault(text.Id) is { MessageSid: { } sid } known)
                {
                    // Its outcome came back before the record was lost (a failed write): Twilio has it.
                    TextAttempts.ApplyOutcome(text, known with { MessageSid = sid }, now);
                    TellHandset(text, now);
                }
                else if (textSignal is not null && _handedOff.Contains(text.Id))
                {
                    // This process's dispatcher has it in hand (it may not even have reached Twilio
                    // yet, so a look-up now could miss it): its outcome lands here by text id. Only if
                    // none comes within the lease is it looked up and, if not found, sent.
                    text.AttemptBy = textSignal.DispatcherId;
                    text.NotBefore = now + AttemptLease;
                }
                else
                {
                    text.AttemptBy = EarlierActivation;
                    text.NotBefore = now;
                }
            }
        }

        _lookUpFirst.Clear();
    }

    /// <summary>
    /// After a prepared step's texts went: how long its event (and the texts' outcomes) wait to be
    /// written, so a burst's sends never queue behind a burst of writes. Until then nothing of the
    /// step is stored: a crash in between leaves it due, and the next activation looks each of its
    /// texts up at Twilio before any resend.
    /// </summary>
    public static readonly TimeSpan AdoptAfter = TimeSpan.FromSeconds(2);

    private IGrainTimer? _adoptTimer;

    /// <summary>How long a sent step's write waits, at most, for its texts' outcomes from the dispatcher.</summary>
    public static readonly TimeSpan AdoptWaitsForOutcomes = TimeSpan.FromSeconds(10);

    /// <summary>A text handed to the dispatcher with no outcome back yet.</summary>
    private bool OutcomesPending() =>
        State.Texts.Any(t => _handedOff.Contains(t.Id) && t.Stage == TextStage.Attempting && t.AttemptBy == textSignal?.DispatcherId);

    /// <summary>A text handed to the dispatcher whose step is not written yet (a write is pending on the adopt timer): its outcome waits for that write.</summary>
    private bool AwaitsAdoption(string textId) => _adoptTimer is not null && _handedOff.Contains(textId);

    // Something in memory waits for the pending write (a step whose texts went before its record, an outcome).
    private bool _unwritten;

    /// <summary>
    /// Writes what is pending a moment after texts went (<see cref="AdoptAfter"/>), off the burst;
    /// while some are still in the dispatcher's hands it waits for their outcomes a little longer
    /// (<see cref="AdoptWaitsForOutcomes"/>), so the step and its texts' outcomes are one write.
    /// </summary>
    private void WriteSoon(DateTimeOffset handedAt)
    {
        _adoptTimer?.Dispose();
        _adoptTimer = this.RegisterGrainTimer(async _ =>
        {
            if (OutcomesPending() && time.GetUtcNow() - handedAt < AdoptWaitsForOutcomes)
            {
                return;
            }

            _adoptTimer?.Dispose();
            _adoptTimer = null;
            try
            {
                await EscalateOrRetryAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The reconcile pass runs it within a minute.
                LogWakeFailed(logger, ex, State.Id);
            }
        }, new GrainTimerCreationOptions(AdoptAfter, AdoptAfter) { KeepAlive = true });
    }

    /// <summary>
    /// Steps taken late whose texts may already have gone (their moment came before this
    /// activation began: the one before may have sent them and died before its write). The texts go
    /// to the dispatcher at once, to be looked up at Twilio before any send, and the step is written
    /// once with their outcomes, as a prepared step is, instead of three times (the step, the
    /// texts' attempt, their outcome): after a restart every late step went that way, and the extra
    /// writes made the steps behind them later still. Nothing is lost if the process dies before the
    /// write: the step is then due with no record, and the next activation looks its texts up again.
    /// Returns false when nothing went (the caller writes as usual).
    /// </summary>
    private async Task<bool> SendLookUpsBeforeWritingAsync()
    {
        if (_lookUpFirst.Count == 0 || textSignal is null)
        {
            return false;
        }

        try
        {
            await PlanInMemoryAsync();
        }
        catch (Exception ex) when (ex is not Orleans.Storage.InconsistentStateException)
        {
            // Nothing was sent or written: memory goes back to the truth, and a retry starts clean.
            await LoadAsync();
            throw;
        }

        var now = time.GetUtcNow();
        var known = State.Texts.Where(t => t.MessageSid is not null).Select(t => t.MessageSid!).ToList();
        var send = new List<TextToSend>();
        foreach (var t in State.Texts.Where(t => t.Stage == TextStage.Attempting && t.AttemptBy == EarlierActivation && t.Body is not null && _handedOff.Add(t.Id)))
        {
            t.AttemptBy = textSignal.DispatcherId;
            t.Attempts++;
            t.NotBefore = now + AttemptLease;
            t.UpdatedAt = now;
            send.Add(new TextToSend(SiteId, State.Id, t.Id, t.To, t.Body!, t.AttemptStartedAt, known));
        }

        if (send.Count == 0)
        {
            return false;
        }

        _unwritten = true;
        textSignal.Send(send);
        WriteSoon(now);
        return true;
    }

    // Set by a change to who a prepared step texts (an acknowledgement): every step prepared ahead is planned again.
    private bool _restage;

    /// <summary>
    /// Before a write: prepared steps the plan no longer has at their moment (done, moved, acknowledged)
    /// are dropped, unsent; after an acknowledgement all steps ahead are, as their recipients were
    /// chosen before it. A dropped step is prepared again, or taken the usual way at its moment.
    /// </summary>
    private async Task DropStaleStagingAsync()
    {
        var now = time.GetUtcNow();
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
            pending = [.. PendingSteps(await OwnerPolicyAsync()).Select(p => $"{p.DoneKey}@{p.Step.At.UtcTicks}")];
        }

        foreach (var stale in ahead.Where(s => !pending.Contains($"{s.DoneKey}@{s.At.UtcTicks}")))
        {
            foreach (var text in State.Texts.Where(t => stale.TextIds.Contains(t.Id) && t.Stage == TextStage.Held).ToList())
            {
                await ITextLimiterGrain.For(GrainFactory, SiteId).Withdraw(ITextLimiterGrain.Person(text.To), new LimitedText(SiteId, State.Id, text.Id, ""));
            }

            State.Texts.RemoveAll(t => stale.TextIds.Contains(t.Id) && t.MessageSid is null);
            State.Escalation.Staged.Remove(stale);
        }
    }

    private void Arm(DateTimeOffset at, TimeSpan wait)
    {
        _wakeTimer?.Dispose();
        _wakeAt = at;
        _wakeTimer = this.RegisterGrainTimer(async _ =>
        {
            // Timers may fire a hair early: wait out the rest rather than find nothing due.
            var left = at - time.GetUtcNow();
            if (left > TimeSpan.Zero)
            {
                Arm(at, left + TimeSpan.FromMilliseconds(1));
                return;
            }

            _wakeAt = null;
            _wakeTimer?.Dispose();
            _wakeTimer = null;
            try
            {
                var handedAt = time.GetUtcNow();
                if (HandOffStaged(handedAt))
                {
                    // The texts are on their way; the event is written a moment later, off the burst, with their outcomes.
                    WriteSoon(handedAt);
                    return;
                }

                await EscalateOrRetryAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The reconcile pass runs it within a minute.
                LogWakeFailed(logger, ex, State.Id);
            }
        }, new GrainTimerCreationOptions(wait, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    /// <summary>After a write: the outcomes kept in memory that are now on record.</summary>
    private void ForgetWrittenOutcomes()
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

    /// <summary>How soon a step whose write failed is tried again, by this activation, before the reconcile pass (each minute) is left to take it.</summary>
    public static readonly TimeSpan[] WriteRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    private IGrainTimer? _retryTimer;
    private int _writeRetries;

    /// <summary>
    /// Takes what is due; if the write fails (storage unreachable for a moment), tries again shortly.
    /// A step whose texts already went is then recorded with a look-up, never a second send: the
    /// failed write reloaded the promise, and the step's texts are known to be in the dispatcher's
    /// hands (their outcomes, if they came, are kept in memory for it).
    /// </summary>
    private async Task EscalateOrRetryAsync()
    {
        try
        {
            await Escalate();
            _writeRetries = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (_writeRetries >= WriteRetryDelays.Length)
            {
                _writeRetries = 0;
                throw;
            }

            LogWakeFailed(logger, ex, State.Id);
            var delay = WriteRetryDelays[_writeRetries++];
            _retryTimer?.Dispose();
            _retryTimer = this.RegisterGrainTimer(async _ =>
            {
                _retryTimer?.Dispose();
                _retryTimer = null;
                try
                {
                    await EscalateOrRetryAsync();
                }
                catch (Exception last) when (last is not OperationCanceledException)
                {
                    LogWakeFailed(logger, last, State.Id);
                }
            }, new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        }
    }

    /// <summary>
    /// A graceful stop (or idle deactivation) right after a prepared step's texts went: the step is
    /// written now instead of a moment later, so the next activation has nothing to look up. If the
    /// write fails the next activation finds the step due and looks its texts up at Twilio first.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_adoptTimer is null || !Stored.Loaded)
        {
            return;
        }

        _adoptTimer.Dispose();
        _adoptTimer = null;
        try
        {
            var now = time.GetUtcNow();
            foreach (var staged in State.Escalation.Staged.Where(s => _handedOffAt.ContainsKey(s.DoneKey)).ToList())
            {
                Adopt(staged, now);
            }

            // Only the step: no other grain is asked (in a silo's shutdown they may be gone). Its next
            // job is planned by the reconcile pass (the promise's recorded job moment has passed).
            await Stored.WriteAsync(cancellationToken);
            _unwritten = false;
            await UpdateIndexAsync().WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAdoptOnDeactivationFailed(logger, ex, State.Id);
        }
    }

    public async Task<EscalationRun> Reconcile(bool jobLost, string? lostJob = null)
    {
        await EnsureLoadedAsync();
        if (jobLost && State.Escalation.JobAt is { } at && _wakeAt != at && (lostJob is null || lostJob == State.Escalation.JobId))
        {
            // The job is gone (in-memory job storage forgets on a crash): a new one is scheduled below.
            State.Escalation.JobId = null;
        }

        _reconciling = true;
        try
        {
            return await Escalate();
        }
        finally
        {
            _reconciling = false;
        }
    }

    // Set while the reconcile pass (not the step's own job) is taking steps, so the history can say why one was late.
    private bool _reconciling;

    /// <summary>A step taken later than this after its moment says so in its history entry, with the reason.</summary>
    public static readonly TimeSpan LateNoteAfter = TimeSpan.FromSeconds(2);

    private void NoteDelay(TimeSpan delay)
    {
        var e = State.History[^1];
        var details = new Dictionary<string, string>(e.Details)
        {
            ["delayedSeconds"] = ((int)Math.Round(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture),
            ["delayReason"] = _reconciling
                ? "It came due while the service was down (or its job was lost); the reconcile pass took it."
                : "Its job ran late.",
        };
        var noted = e with { Details = details };
        State.History[^1] = noted;
        var i = _unplanned.IndexOf(e);
        if (i >= 0)
        {
            _unplanned[i] = noted;
        }
    }

    public async Task<EscalationRun> Escalate()
    {
        await EnsureLoadedAsync();
        if (!State.Exists)
        {
            return new EscalationRun([], null);
        }

        var now = time.GetUtcNow();
        HandOffStaged(now);
        if (State.Status != CommitmentStatus.Open)
        {
            // Closed in the moment between a prepared step's texts going out and its event: the texts went, so the event is recorded.
            var adopted = State.Escalation.Staged.Where(s => _handedOffAt.ContainsKey(s.DoneKey)).ToList();
            foreach (var staged in adopted)
            {
                Adopt(staged, now);
            }

            if (adopted.Count > 0 || State.Escalation.JobId is not null || _unwritten)
            {
                await SaveAsync(indexInBackground: true);
            }

            return new EscalationRun([], null);
        }

        var staff = await StaffDirectory();
        var policy = await PolicyFor(staff);
        var ran = new List<string>();
        var (heldChanged, released) = await ReleaseHeldTextsAsync(now);
        if (released)
        {
            ran.Add("held-texts");
        }

        foreach (var (step, doneKey) in PendingSteps(policy).Where(s => s.Step.At <= now))
        {
            var at = now;
            if (State.Escalation.Staged.FirstOrDefault(x => x.DoneKey == doneKey) is { } staged)
            {
                at = Adopt(staged, now);
            }
            else
            {
                var lookUp = step.At < _activatedAt + ClockSkewAllowance || _sentSteps.Contains(doneKey);
                var (type, details) = await PlanStep(step, policy, staff, now);
                if (lookUp)
                {
                    // It may already have gone out (an earlier activation's moment, or this one's
                    // texts in hand): worded as at its moment, because the dispatcher looks it up
                    // at Twilio by its body, and "1 min late" would not find the "0 min late" sent then.
                    WordAsAt(details, step.At);
                }

                var e = RecordStep(type, details, now, textsPlanned: false);
                State.Escalation.Done.Add(doneKey);
                _stepOfEvent[e.Seq] = doneKey;
                if (lookUp)
                {
                    _lookUpFirst[e.Seq] = step.At;
                }
            }

            if (at - step.At > LateNoteAfter)
            {
                NoteDelay(at - step.At);
            }

            ran.Add(step.Key);
        }

        var next = NextStepAt(policy);
        if ((ran.Count > 0 || heldChanged || JobOutOfDate(next) || _unwritten) && !await SendLookUpsBeforeWritingAsync())
        {
            await SaveAsync(indexInBackground: true);
        }

        return new EscalationRun(ran, next);
    }

    /// <summary>A prepared step becomes history: its event, at the moment its texts went out (or now, if they go only now).</summary>
    private DateTimeOffset Adopt(StagedStep staged, DateTimeOffset now)
    {
        var at = _handedOffAt.TryGetValue(staged.DoneKey, out var handed) && (State.History.Count == 0 || handed >= State.History[^1].At) ? handed : now;
        var e = RecordStep(staged.Type, staged.Details, at, textsPlanned: true);
        foreach (var text in State.Texts.Where(t => staged.TextIds.Contains(t.Id)))
        {
            text.EventSeq = e.Seq;
        }

        State.Escalation.Staged.Remove(staged);
        State.Escalation.Done.Add(staged.DoneKey);
        _handedOffAt.Remove(staged.DoneKey);
        return at;
    }

    /// <summary>
    /// The job no longer matches the plan: never planned, a different next moment, no job, or the
    /// job's moment has passed with its step still pending (that job is spent).
    /// </summary>
    private bool JobOutOfDate(DateTimeOffset? next)
    {
        var e = State.Escalation;
        return scheduler is not null
            && (!e.Planned || next != e.JobAt || (next is not null && (e.JobId is null || (next <= time.GetUtcNow() && _wakeAt != next))));
    }

    /// <summary>
    /// Before a write: makes sure exactly one job wakes the promise at its next step. Returns the
    /// job that no longer applies, to delete once the write is stored.
    /// </summary>
    private async Task<string?> PlanEscalationJobAsync()
    {
        if (scheduler is null)
        {
            return null;
        }

        DateTimeOffset? next = null;
        if (State.Status == CommitmentStatus.Open)
        {
            next = NextStepAt(await OwnerPolicyAsync());
        }

        if (!JobOutOfDate(next))
        {
            return null;
        }

        var e = State.Escalation;
        // A job whose moment has come is the one running now (or it ran): nothing to delete.
        var obsolete = e.JobAt > time.GetUtcNow() ? e.JobId : null;
        e.JobId = next is { } at ? await scheduler.ScheduleAsync(this.GetPrimaryKeyString(), at) : null;
        e.JobAt = next;
        e.Planned = true;
        return obsolete;
    }

    private void DeleteJob(string? jobId)
    {
        if (jobId is null || scheduler is null)
        {
            return;
        }

        try
        {
            scheduler.Delete(jobId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A stale job only wakes the promise for nothing: the grain decides.
            LogJobDeleteFailed(logger, ex, State.Id);
        }
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

        PromiseCaps.RequireRoom(State, PromiseCaps.Acknowledgements, "acknowledgements", EventTypes.Acknowledged);

        var policy = await PolicyFor(directory);
        var now = time.GetUtcNow();
        var until = now + (minutes is { } m ? TimeSpan.FromMinutes(m) : policy.AckTimeout);
        State.Escalation.Ack = new Acknowledgement(staff.Id, now, State.Escalation.Level, until);
        State.Escalation.AckedLevels.Add(AckedKey(State.Escalation.Level, staff.Id));
        _restage = true;
        Append(actor, now, EventTypes.Acknowledged, new()
        {
            ["by"] = staff.Id,
            ["level"] = State.Escalation.Level.ToString(CultureInfo.InvariantCulture),
            ["until"] = Iso(until),
        });
        await SaveAsync();
        return View();
    }

    private string AckedKey(int level, string staffId) =>
        $"{State.Escalation.PlanVersion}:{level.ToString(CultureInfo.InvariantCulture)}:{staffId}";

    /// <summary>A new deadline starts the plan over (old steps no longer apply; the history says so).</summary>
    private void RestartEscalation()
    {
        State.Escalation.PlanVersion++;
        State.Escalation.PlanStartedAt = time.GetUtcNow();
        State.Escalation.Ack = null;
        State.Escalation.Level = 0;
    }

    // The owner's team policy, looked up once per save (both the staging check and the job plan need it).
    private EscalationPolicy? _savePolicy;

    private async Task<EscalationPolicy> OwnerPolicyAsync()
    {
        if (_savePolicy is null)
        {
            var team = (await Site.GetStaff(State.Owner))?.Team;
            _savePolicy = team is null ? EscalationPolicy.Default : await Site.GetPolicy(team);
        }

        return _savePolicy;
    }

    private async Task<EscalationPolicy> PolicyFor(IReadOnlyDictionary<string, StaffInfo> staff) =>
        staff.GetValueOrDefault(State.Owner)?.Team is { } team ? await Site.GetPolicy(team) : EscalationPolicy.Default;

    /// <summary>The next moment the promise has escalation work: a step of its plan, or a held text to release.</summary>
    private DateTimeOffset? NextStepAt(EscalationPolicy policy) =>
        PendingSteps(policy).Select(s => (DateTimeOffset?)s.Step.At)
            .Concat(State.Texts.Where(t => t.Stage == TextStage.Held).Select(t => (DateTimeOffset?)t.NotBefore))
            .Min();

    /// <summary>
    /// Before a write: each new escalation text asks its recipient's limiter (one a minute per person).
    /// A text held back says so, with the reason, and goes at its moment, carrying the others held.
    /// A closed promise's held texts are dropped.
    /// </summary>
    private async Task LimitEscalationTextsAsync(IReadOnlyList<OutboundText> added, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var now = time.GetUtcNow();
        if (State.Status != CommitmentStatus.Open)
        {
            foreach (var held in State.Texts.Where(t => t.Stage == TextStage.Held))
            {
                held.Stage = TextStage.Skipped;
                held.Reason = "The promise was closed before this held text went.";
                held.UpdatedAt = now;
                await ITextLimiterGrain.For(GrainFactory, SiteId).Withdraw(ITextLimiterGrain.Person(held.To), Limited(held, staff));
            }

            return;
        }

        foreach (var text in added.Where(t => t.StaffId is not null && t.Kind is TextKinds.Reminder or TextKinds.Overdue or TextKinds.HandoffStalled))
        {
            var decision = await ITextLimiterGrain.For(GrainFactory, SiteId).Claim(ITextLimiterGrain.Person(text.To), Limited(text, staff));
            if (decision.Outcome == LimitDecision.Hold)
            {
                text.Stage = TextStage.Held;
                text.NotBefore = decision.Until!.Value;
                text.Reason = HeldReason(text, staff, decision);
                text.UpdatedAt = now;
            }
        }
    }

    /// <summary>Held texts whose moment came: sent (carrying the others held for that person), or marked as carried by another's text.</summary>
    private async Task<(bool Changed, bool Released)> ReleaseHeldTextsAsync(DateTimeOffset now)
    {
        var due = State.Texts.Where(t => t.Stage == TextStage.Held && t.NotBefore <= now).ToList();
        if (due.Count == 0)
        {
            return (false, false);
        }

        var released = false;
        var staff = await StaffDirectory();
        foreach (var text in due)
        {
            var decision = await ITextLimiterGrain.For(GrainFactory, SiteId).Release(ITextLimiterGrain.Person(text.To), Limited(text, staff));
            text.UpdatedAt = now;
            switch (decision.Outcome)
            {
                case LimitDecision.Send:
                    released = true;
                    text.NotBefore = now;
                    text.BundleCodes = decision.Codes is { Count: > 1 } codes ? [.. codes] : null;
                    text.Reason = text.BundleCodes is null ? null : $"Sent after the limit, as one text for {text.BundleCodes.Count} promises.";
                    if (text.AttemptStartedAt is not null && text.BundleCodes is null)
                    {
                        // A re-run step's text that may have gone out before its record was lost:
                        // looked up at Twilio first, as when it is not held.
                        text.Stage = TextStage.Attempting;
                        text.AttemptBy = EarlierActivation;
                    }
                    else
                    {
                        // New words (a bundle) were never sent: written afresh when it goes.
                        text.Stage = TextStage.Waiting;
                        text.Body = text.BundleCodes is null ? text.Body : null;
                        text.AttemptStartedAt = null;
                    }

                    break;
                case LimitDecision.Bundled:
                    released = true;
                    text.Stage = TextStage.Bundled;
                    text.Reason = $"Went in one text with {decision.Carrier} (at most one escalation text a minute per person).";
                    break;
                default:
                    text.NotBefore = decision.Until!.Value;
                    break;
            }
        }

        return (true, released);
    }

    private LimitedText Limited(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var owner = staff.GetValueOrDefault(State.Owner)?.Name ?? State.Owner;
        return new LimitedText(SiteId, State.Id, text.Id, $"{State.ReplyCode} ({owner})");
    }

    private static string HeldReason(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff, LimitDecision decision)
    {
        var who = staff.GetValueOrDefault(text.StaffId!)?.Name ?? text.StaffId;
        var last = decision.LastSentAt is { } at ? $" (the last at {Iso(at)})" : "";
        return $"Held: {who} gets at most one escalation text a minute{last}. It goes at {Iso(decision.Until!.Value)}, in one text with any others held.";
    }

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

    private string LateMinutes(DateTimeOffset at) => ((int)Math.Max(0, Math.Round((at - State.DueAt).TotalMinutes))).ToString(CultureInfo.InvariantCulture);

    private static string MinutesSince(DateTimeOffset from, DateTimeOffset at) => ((int)Math.Round((at - from).TotalMinutes)).ToString(CultureInfo.InvariantCulture);

    /// <summary>The numbers in a step's words ("N min late", "offered N min ago") as they were at <paramref name="at"/>.</summary>
    private void WordAsAt(Dictionary<string, string> details, DateTimeOffset at)
    {
        if (details.ContainsKey("late"))
        {
            details["late"] = LateMinutes(at);
        }

        if (details.ContainsKey("ago") && State.PendingHandoff is { } offer)
        {
            details["ago"] = MinutesSince(offer.At, at);
        }
    }

    /// <summary>What a step does as of <paramref name="now"/>: its history event's type and details (who is texted). Changes nothing.</summary>
    private async Task<(string Type, Dictionary<string, string> Details)> PlanStep(
        PlannedStep step, EscalationPolicy policy, IReadOnlyDictionary<string, StaffInfo> staff, DateTimeOffset now)
    {
        switch (step.Kind)
        {
            case StepKinds.Reminder when now < State.DueAt:
                return (EventTypes.Reminded, await Texted([State.Owner], staff));

            case StepKinds.Reminder:
                return (EventTypes.Reminded, new() { ["skipped"] = "The deadline had already passed." });

            case StepKinds.Level or StepKinds.Repeat:
                var level = policy.Levels[step.Level - 1];
                // Someone who acknowledged this level is on it: not texted again for it.
                var people = Resolve(level.Notify, staff).Where(p => !State.Escalation.AckedLevels.Contains(AckedKey(step.Level, p)));
                var details = await Texted(people, staff);
                details["level"] = step.Level.ToString(CultureInfo.InvariantCulture);
                details["late"] = LateMinutes(now);
                if (step.Kind == StepKinds.Repeat)
                {
                    details["repeat"] = step.Repeat.ToString(CultureInfo.InvariantCulture);
                }

                return (EventTypes.Escalated, details);

            case StepKinds.Apology:
                var customer = State.Customer;
                var reachable = customer is { SmsConsent: true, Mobile: { } mobile } && !await IHandsetGrain.For(GrainFactory, mobile).IsOptedOut();
                return (EventTypes.Apologized, reachable
                    ? new() { ["owner"] = State.Owner }
                    : new() { ["skipped"] = "The customer cannot be texted (no mobile, no consent, or opted out)." });

            default:
                var offer = State.PendingHandoff!;
                var recipientTeam = staff.GetValueOrDefault(offer.To)?.Team;
                var stalled = await Texted([offer.From, .. Leads(recipientTeam, staff)], staff);
                stalled["to"] = offer.To;
                stalled["ago"] = MinutesSince(offer.At, now);
                return (EventTypes.HandoffStalled, stalled);
        }
    }

    /// <summary>Appends a step's history event; <paramref name="textsPlanned"/> when its texts were prepared ahead (staged).</summary>
    private HistoryEvent RecordStep(string type, Dictionary<string, string> details, DateTimeOffset now, bool textsPlanned)
    {
        if (type == EventTypes.Escalated && int.TryParse(details.GetValueOrDefault("level"), CultureInfo.InvariantCulture, out var level))
        {
            State.Escalation.Level = Math.Max(State.Escalation.Level, level);
        }

        return Append(Actor.System, now, type, details, planTexts: !textsPlanned);
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

    /// <summary>
    /// Whether a staff phone opted out. The site's word "no" is taken as it is (no read of every
    /// phone on a burst; a phone that did opt out refuses at Twilio, which records it again); its
    /// word "yes" is checked with the phone's own grain before anyone is skipped.
    /// </summary>
    private async Task<bool> OptedOutAsync(StaffInfo person) =>
        person.OptedOut && await IHandsetGrain.For(GrainFactory, person.Mobile).IsOptedOut();

    /// <summary>The reachable people among <paramref name="people"/>, as history details; nobody reachable is said so.</summary>
    private async Task<Dictionary<string, string>> Texted(IEnumerable<string> people, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var reachable = new List<string>();
        foreach (var id in people.Distinct())
        {
            if (staff.GetValueOrDefault(id) is { Active: true, MobileUnverified: false } person && !await OptedOutAsync(person))
            {
                reachable.Add(id);
            }
        }

        return reachable.Count > 0
            ? new() { ["texted"] = string.Join(',', reachable) }
            : new() { ["skipped"] = "Nobody at this level can be reached (no lead on the team, no verified phone, or everyone opted out)." };
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Escalation of promise {CommitmentId} at its moment failed; the reconcile pass takes it")]
    private static partial void LogWakeFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, Guid commitmentId);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Deleting an old escalation job of promise {CommitmentId} failed; it will wake the promise for nothing")]
    private static partial void LogJobDeleteFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, Guid commitmentId);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Writing the escalation step of promise {CommitmentId} whose texts went, on deactivation, failed; the next activation looks them up at Twilio")]
    private static partial void LogAdoptOnDeactivationFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, Guid commitmentId);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Preparing the next escalation step of promise {CommitmentId} failed; it is taken at its moment instead")]
    private static partial void LogStagingFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception, Guid commitmentId);
}
