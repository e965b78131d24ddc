using Commitments.Grains.Common;
using Commitments.Grains.Customers;
using Commitments.Grains.Escalation;
using Commitments.Grains.Handoffs;
using Commitments.Grains.Index;
using Commitments.Grains.Insights;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Storage;

namespace Commitments.Grains.Commitments;

/// <summary>
/// One promise: owner, deadline, handoff and append-only history, with one save pipeline; outbox, escalation, index and
/// insight feeds are collaborators it owns.
/// </summary>
[GrainType(GrainTypeName)]
public sealed class CommitmentGrain : Grain, ICommitmentGrain, IPromise
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "commitment";
    public const string StateName = "commitment";
    public const int MaxTextLength = 500;

    /// <summary>How long "done" can be taken back by whoever marked it (the guest's text waits as long).</summary>
    public static readonly TimeSpan UndoWindow = TimeSpan.FromSeconds(10);

    private readonly TimeProvider _time;
    private readonly TimeSpan _minimumLead;
    private readonly Outbox _outbox;
    private readonly EscalationSteps _escalation;
    private readonly IndexFeed _index;
    private readonly InsightFeed _insights;

    // Read on first use, not on activation: a create is a single insert (see StoredState).
    private StoredState<CommitmentState>? _stored;

    public CommitmentGrain(
        TimeProvider time,
        ILogger<CommitmentGrain> logger,
        ITextSignal? textSignal = null,
        IEscalationScheduler? scheduler = null,
        IOptions<LedgerOptions>? ledgerOptions = null,
        StatusLinks? statusLinks = null)
    {
        _time = time;
        _minimumLead = ledgerOptions?.Value.MinimumLead ?? Deadline.MinimumLead;
        _outbox = new Outbox(this, textSignal, statusLinks, logger);
        _escalation = new EscalationSteps(this, textSignal, scheduler, logger);
        _index = new IndexFeed(GrainFactory, logger);
        _insights = new InsightFeed(GrainFactory, logger);
    }

    private StoredState<CommitmentState> Stored => _stored ??= StoredState<CommitmentState>.For(GrainContext, StateName);

    public CommitmentState State => Stored.State;

    public string SiteId => CommitmentKey.Parse(this.GetPrimaryKeyString()).Site;

    public ISiteGrain Site => GrainFactory.GetGrain<ISiteGrain>(SiteId);

    private ISiteIndexGrain SiteIndex => GrainFactory.GetGrain<ISiteIndexGrain>(SiteId);

    public async Task<CreateResult> Create(Actor actor, NewCommitment input)
    {
        var site = await RequireSite();
        var maker = await RequireStaff(actor);
        var now = _time.GetUtcNow();

        if (!Stored.Loaded)
        {
            // Insert without reading first; only on failure is the record read to tell a retry from a conflict.
            try
            {
                return await CreateNew(actor, input, site, maker, now);
            }
            catch (RuleViolationException)
            {
                await LoadAsync();
                if (!State.Exists)
                {
                    throw;
                }
            }
            catch (InconsistentStateException)
            {
                await LoadAsync();
            }
        }

        if (!State.Exists)
        {
            return await CreateNew(actor, input, site, maker, now);
        }

        // A retry with the same id and content is the same promise; different content must not reuse the id.
        var retry = NewCommitmentRequest.Normalize(input, site, maker, now, checkLead: false, _minimumLead);
        if (retry.Fingerprint == State.CreateFingerprint && State.PromisedBy == maker.Id)
        {
            return new CreateResult(View(), Created: false);
        }

        throw new RuleViolationException(RuleKind.Conflict, "id",
            "A different promise already has this id. Use a new id for a new promise.");
    }

    private async Task<CreateResult> CreateNew(Actor actor, NewCommitment input, SiteInfo site, StaffInfo maker, DateTimeOffset now)
    {
        var request = NewCommitmentRequest.Normalize(input, site, maker, now, checkLead: true, _minimumLead);
        var recipient = request.HandoffTo is null
            ? null
            : await HandoffRules.RequireRecipient(Site, "handoffTo", request.HandoffTo, owner: maker.Id);

        var id = CommitmentKey.Parse(this.GetPrimaryKeyString()).Id;
        State.Id = id;
        State.Site = SiteId;
        State.What = request.What;
        State.Customer = request.Customer;
        State.PromisedBy = maker.Id;
        State.Owner = maker.Id;
        State.DueAt = request.DueAt;
        State.Status = CommitmentStatus.Open;
        State.CreatedAt = now;
        State.CreateFingerprint = request.Fingerprint;
        State.ReplyCode = await SiteIndex.AllocateReplyCode(id);
        Append(actor, now, EventTypes.Created, EventDetails.Created(request.What, maker.Id, request.DueAt, request.Customer.Name));

        if (recipient is not null)
        {
            var (type, details) = HandoffRules.Offer(State, recipient.Id, maker.Id, request.HandoffNote, now);
            Append(actor, now, type, details);
        }

        await SaveAsync();
        return new CreateResult(View(), Created: true);
    }

    public async Task<CommitmentView?> Get()
    {
        await EnsureLoadedAsync();
        return State.Exists ? View() : null;
    }

    public async Task<CommitmentView> Complete(Actor actor, string? note)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("completed");
        PromiseRules.RequireOwnerOrManager(State, staff, "complete");
        note = PromiseRules.Text("note", note, required: false);

        var now = _time.GetUtcNow();
        var details = EventDetails.Completed(now <= State.DueAt, State.DueAt, note, HandoffRules.DropPending(State));
        State.Status = CommitmentStatus.Done;
        return await RecordAsync(actor, now, EventTypes.Completed, details);
    }

    public async Task<CommitmentView> Reschedule(Actor actor, string? dueAt, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("rescheduled");
        PromiseRules.RequireOwnerOrManager(State, staff, "reschedule");
        var (newDue, why, now) = await NewDeadline(dueAt, reason);

        var old = State.DueAt;
        State.DueAt = newDue;
        _escalation.Restart();
        return await RecordAsync(actor, now, EventTypes.Rescheduled, EventDetails.Rescheduled(old, newDue, why));
    }

    public async Task<CommitmentView> Cancel(Actor actor, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("cancelled");
        PromiseRules.RequireOwnerOrManager(State, staff, "cancel");
        reason = PromiseRules.Text("reason", reason);

        var details = EventDetails.Cancelled(reason!, HandoffRules.DropPending(State));
        State.Status = CommitmentStatus.Cancelled;
        return await RecordAsync(actor, _time.GetUtcNow(), EventTypes.Cancelled, details);
    }

    public async Task<CommitmentView> Reopen(Actor actor, string? dueAt, string? reason)
    {
        await RequireCreated();
        PromiseRules.RequireReopenable(State, actor, actor.IsStaff ? await RequireStaff(actor) : null);
        var (newDue, why, now) = await NewDeadline(dueAt, reason);
        await ReopenAsync(actor, newDue, why, now);
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> UndoComplete(Actor actor)
    {
        await RequireStaff(actor);
        await RequireCreated();
        var now = _time.GetUtcNow();
        PromiseRules.RequireUndoable(State, actor, now, UndoWindow);
        await ReopenAsync(actor, State.DueAt, "Undone: marked done by mistake.", now, undo: true);
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> AddNote(Actor actor, string? text)
    {
        await RequireCreated();
        await RequireStaff(actor);
        text = PromiseRules.Text("text", text, max: 1000);
        PromiseCaps.RequireRoom(State, PromiseCaps.Notes, "notes", EventTypes.NoteAdded);
        return await RecordAsync(actor, _time.GetUtcNow(), EventTypes.NoteAdded, EventDetails.NoteAdded(text!));
    }

    public async Task<CommitmentView> ProposeHandoff(Actor actor, string? to, string? note)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        PromiseRules.RequireOwnerOrManager(State, staff, "hand off");
        var now = _time.GetUtcNow();
        var (type, details) = await HandoffRules.ProposeAsync(State, Site, staff, to, note, now);
        return await RecordAsync(actor, now, type, details);
    }

    public async Task<CommitmentView> WithdrawHandoff(Actor actor)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("changed");
        var (type, details) = HandoffRules.Withdraw(State, staff);
        return await RecordAsync(actor, _time.GetUtcNow(), type, details);
    }

    public async Task<CommitmentView> AcceptHandoff(Actor actor)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        var (type, details) = HandoffRules.Accept(State, staff);
        return await RecordAsync(actor, _time.GetUtcNow(), type, details);
    }

    public async Task<CommitmentView> DeclineHandoff(Actor actor, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("handed off");
        var (type, details) = HandoffRules.Decline(State, staff, reason);
        return await RecordAsync(actor, _time.GetUtcNow(), type, details);
    }

    public async Task<CommitmentView> Acknowledge(Actor actor, int? minutes)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("acknowledged");
        await _escalation.AcknowledgeAsync(actor, staff, minutes);
        await SaveAsync();
        return View();
    }

    public Task EscalateAt(DateTimeOffset at) => _escalation.EscalateAt(at);

    public async Task<EscalationRun> Escalate()
    {
        await EnsureLoadedAsync();
        return State.Exists ? await _escalation.TakeDueAsync() : new EscalationRun([], null);
    }

    public async Task<EscalationRun> Reconcile(bool jobLost, string? lostJob = null)
    {
        await EnsureLoadedAsync();
        return await _escalation.ReconcileAsync(jobLost, lostJob);
    }

    public async Task<DateTimeOffset?> NextEscalationAt()
    {
        await EnsureLoadedAsync();
        return State.Exists ? await _escalation.NextAtAsync() : null;
    }

    public async Task<string?> CustomerReplied(string body, bool viaStatusPage)
    {
        await RequireCreated();
        var (recorded, answer) = await CustomerReplies.ReadAsync(this, body, viaStatusPage,
            (dueAt, reason) => ReopenAsync(CustomerReplies.Customer, dueAt, reason, _time.GetUtcNow()));
        if (recorded)
        {
            await SaveAsync();
        }

        return answer;
    }

    public async Task<TextWork> BeginDueTexts(string dispatcherId)
    {
        var (work, changed) = await _outbox.BeginDueAsync(dispatcherId);
        if (changed)
        {
            // The attempt is recorded before sending: after a crash it is looked up, never resent blindly.
            await SaveAsync();
        }

        return work;
    }

    public async Task RecordSendOutcome(string textId, SendOutcome outcome)
    {
        await EnsureLoadedAsync();
        _escalation.OutcomeCame(textId, outcome);
        if (_outbox.ApplyOutcome(textId, outcome) && !_escalation.WritesWithStep(textId))
        {
            await SaveAsync();
        }
    }

    public async Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode)
    {
        await EnsureLoadedAsync();
        if (_outbox.ApplyStatus(textId, messageSid, status, errorCode))
        {
            await SaveAsync();
        }
    }

    public async Task<string?> SubmittedSid(string textId)
    {
        // A fresh activation (silo died mid-send) reads state first: a callback may have recorded the SID.
        await EnsureLoadedAsync();
        return _outbox.SubmittedSid(textId);
    }

    public Task WakeTexts() => _outbox.WakeAsync();

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) =>
        _stored is { Loaded: true } ? _escalation.OnDeactivateAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>
    /// Plans texts and the next job into the write (a job for a failed write only wakes an idle promise), writes the state
    /// (the truth), then tells what derives from it: the index (which heals if we die first), insights, the dispatcher.
    /// </summary>
    /// <param name="indexInBackground">Escalation's writes skip waiting for the index, which may be catching up after a restart.</param>
    public async Task SaveAsync(bool indexInBackground = false)
    {
        string? obsoleteJob;
        try
        {
            await PlanInMemoryAsync();
            obsoleteJob = await _escalation.PlanJobAsync();
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            // Nothing was written: memory goes back to the truth, so a retry starts clean.
            await LoadAsync();
            throw;
        }

        try
        {
            await Stored.WriteAsync();
            _escalation.Written();
            _outbox.Written();
        }
        catch (Exception ex) when (ex is not InconsistentStateException || Stored.Loaded)
        {
            // The write may have reached storage: reload so memory never runs ahead of the truth.
            if (ex is not InconsistentStateException)
            {
                _outbox.WriteFailed();
            }

            await LoadAsync();
            throw;
        }

        _escalation.AfterWrite(obsoleteJob);
        var indexed = TellIndexAsync();
        if (!indexInBackground)
        {
            // A person's change: the lists they open next already show it.
            await indexed;
        }

        await _insights.TellAsync(State, SiteId, async () => (await RequireSite()).Zone);
        _outbox.Signal();
    }

    public async Task PlanInMemoryAsync()
    {
        await _escalation.BeforePlanAsync();
        if (await _outbox.PlanAsync(_escalation.TextIdPrefix) is { } planned)
        {
            await _escalation.TextsPlannedAsync(planned.Added, planned.Site, planned.Staff);
        }
    }

    public async Task EnsureLoadedAsync()
    {
        if (!Stored.Loaded)
        {
            await LoadAsync();
        }
    }

    public async Task LoadAsync()
    {
        _outbox.Reset();
        _escalation.Reset();
        await Stored.LoadAsync();
        _insights.CaughtUp(State.History.Count);

        if (State.Exists)
        {
            // Re-telling the index (idempotent) heals a write lost in a crash; not awaited, nothing depends on it.
            _ = TellIndexAsync();

            // Texts a dead process had in hand go now, not at the next sweep.
            _outbox.Signal();
        }
    }

    public Task TellIndexAsync() => _index.TellAsync(SiteId, State);

    /// <summary>The reopen rule, whoever asks: open again, same owner, new deadline and plan.</summary>
    private async Task ReopenAsync(Actor actor, DateTimeOffset dueAt, string reason, DateTimeOffset now, bool undo = false)
    {
        // First, before anything changes: the site may be full (its cap on open promises).
        var code = await SiteIndex.AllocateReplyCode(State.Id);
        var old = State.DueAt;
        State.DueAt = dueAt;
        State.Status = CommitmentStatus.Open;
        State.ReplyCode = code;
        _escalation.Restart();
        Append(actor, now, EventTypes.Reopened, EventDetails.Reopened(State.Owner, old, dueAt, reason, undo));
    }

    private async Task<(DateTimeOffset DueAt, string Reason, DateTimeOffset Now)> NewDeadline(string? dueAt, string? reason)
    {
        var now = _time.GetUtcNow();
        var (due, why) = PromiseRules.NewDeadline(State, (await RequireSite()).Zone, now, _minimumLead, dueAt, reason);
        return (due, why, now);
    }

    private async Task<CommitmentView> RecordAsync(Actor actor, DateTimeOffset at, string type, Dictionary<string, string> details)
    {
        Append(actor, at, type, details);
        await SaveAsync();
        return View();
    }

    public HistoryEvent Append(Actor actor, DateTimeOffset at, string type, Dictionary<string, string> details, bool planTexts = true)
    {
        var e = new HistoryEvent(State.History.Count + 1, at, actor, type, details);
        State.History.Add(e);
        if (planTexts)
        {
            _outbox.Expect(e);
        }

        return e;
    }

    private CommitmentView View() => new(
        State.Id, State.Site, State.What, State.Customer!, State.PromisedBy, State.Owner, State.DueAt,
        State.Status, State.PendingHandoff, [.. State.History], State.CreatedAt,
        _outbox.Views(), State.ReplyCode, State.Rating);

    private async Task RequireCreated()
    {
        await EnsureLoadedAsync();
        PromiseRules.RequireExists(State);
    }

    private async Task RequireOpen(string action)
    {
        await EnsureLoadedAsync();
        PromiseRules.RequireOpen(State, action);
    }

    public async Task<SiteInfo> RequireSite() =>
        await Site.GetInfo() ?? throw RuleViolationException.NotFound("site", $"There is no site '{SiteId}'.");

    private async Task<StaffInfo> RequireStaff(Actor actor)
    {
        if (!actor.IsStaff)
        {
            throw RuleViolationException.Forbidden("Only staff of this site can do this.");
        }

        var staff = await Site.GetStaff(actor.Id);
        return staff is { Active: true }
            ? staff
            : throw RuleViolationException.Forbidden($"'{actor.Id}' is not an active staff member of this site.");
    }

    // What the collaborators borrow (IPromise).
    string IPromise.Key => this.GetPrimaryKeyString();

    DateTimeOffset IPromise.Now => _time.GetUtcNow();

    IGrainFactory IPromise.Grains => GrainFactory;

    async Task<IReadOnlyDictionary<string, StaffInfo>> IPromise.StaffDirectory() =>
        (await Site.ListStaff(includeInactive: true)).ToDictionary(s => s.Id);

    void IPromise.Replace(HistoryEvent old, HistoryEvent noted)
    {
        State.History[State.History.IndexOf(old)] = noted;
        _outbox.Replace(old, noted);
    }

    Task IPromise.WriteOnlyAsync(CancellationToken cancellationToken) => Stored.WriteAsync(cancellationToken);

    IGrainTimer IPromise.StartTimer(Func<Task> tick, TimeSpan dueTime, TimeSpan period) =>
        this.RegisterGrainTimer(_ => tick(), new GrainTimerCreationOptions(dueTime, period) { KeepAlive = true });
}
