using System.Globalization;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Insights;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace Commitments.Grains.Commitments;

[GrainType(GrainTypeName)]
public sealed partial class CommitmentGrain(
    TimeProvider time,
    ILogger<CommitmentGrain> logger,
    ITextSignal? textSignal = null,
    IEscalationScheduler? scheduler = null,
    Microsoft.Extensions.Options.IOptions<LedgerOptions>? ledgerOptions = null,
    Customers.StatusLinks? statusLinks = null) : Grain, ICommitmentGrain
{
    /// <summary>Part of every stored key: never rename.</summary>
    public const string GrainTypeName = "commitment";
    public const string StateName = "commitment";
    public const int MaxTextLength = 500;

    // Read on first use, not on activation: a create is a single insert (see StoredState).
    private StoredState<CommitmentState>? _commitment;

    private StoredState<CommitmentState> Stored => _commitment ??= StoredState<CommitmentState>.For(GrainContext, StateName);

    // Tells the site's daily roll-ups what happened (a collaborator the grain owns).
    private InsightFeed? _insights;

    private InsightFeed Insights => _insights ??= new(GrainFactory, logger);

    private CommitmentState State => Stored.State;

    private string SiteId => CommitmentKey.Parse(this.GetPrimaryKeyString()).Site;

    private ISiteGrain Site => GrainFactory.GetGrain<ISiteGrain>(SiteId);

    private TimeSpan MinimumLead => ledgerOptions?.Value.MinimumLead ?? Deadline.MinimumLead;

    public async Task<CreateResult> Create(Actor actor, NewCommitment input)
    {
        var site = await RequireSite();
        var maker = await RequireStaff(actor);
        var now = time.GetUtcNow();

        if (!Stored.Loaded)
        {
            // Most creates are new promises: insert without reading first. Only when that fails
            // (the id exists, or the input is refused) is the stored record read to tell a retry
            // from a conflict.
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

        // A retry (double tap, dropped connection) with the same id: same content is the
        // same promise; anything else is a different promise that must not reuse the id.
        var retry = Normalize(input, site, maker, now, checkLead: false, MinimumLead);
        if (retry.Fingerprint == State.CreateFingerprint && State.PromisedBy == maker.Id)
        {
            return new CreateResult(View(), Created: false);
        }

        throw new RuleViolationException(RuleKind.Conflict, "id",
            "A different promise already has this id. Use a new id for a new promise.");
    }

    private async Task<CreateResult> CreateNew(Actor actor, NewCommitment input, SiteInfo site, StaffInfo maker, DateTimeOffset now)
    {
        var request = Normalize(input, site, maker, now, checkLead: true, MinimumLead);
        StaffInfo? recipient = null;
        if (request.HandoffTo is not null)
        {
            recipient = await RequireRecipient("handoffTo", request.HandoffTo, owner: maker.Id);
        }

        var (_, id) = CommitmentKey.Parse(this.GetPrimaryKeyString());
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
        State.ReplyCode = await Index.AllocateReplyCode(id);
        Append(actor, now, EventTypes.Created, new()
        {
            ["what"] = request.What,
            ["owner"] = maker.Id,
            ["dueAt"] = Iso(request.DueAt),
            ["customer"] = request.Customer.Name,
        });

        if (recipient is not null)
        {
            State.PendingHandoff = new(recipient.Id, maker.Id, request.HandoffNote, now);
            Append(actor, now, EventTypes.HandoffProposed, WithNote(new() { ["to"] = recipient.Id, ["from"] = maker.Id }, request.HandoffNote));
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
        RequireOwnerOrManager(staff, "complete");
        var v = new Validation();
        note = v.Text("note", note, 1, MaxTextLength, required: false);
        v.ThrowIfInvalid();

        var now = time.GetUtcNow();
        var details = WithNote(new()
        {
            ["onTime"] = now <= State.DueAt ? "true" : "false",
            ["dueAt"] = Iso(State.DueAt),
        }, note);
        DropPendingHandoff(details);
        State.Status = CommitmentStatus.Done;
        Append(actor, now, EventTypes.Completed, details);
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> Reschedule(Actor actor, string? dueAt, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("rescheduled");
        RequireOwnerOrManager(staff, "reschedule");
        var site = await RequireSite();
        var now = time.GetUtcNow();
        var v = new Validation();
        var newDue = Deadline.Parse(v, "dueAt", dueAt, site.Zone, now, MinimumLead);
        reason = v.Text("reason", reason, 1, MaxTextLength);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(State, PromiseCaps.Deadlines, "new deadlines", EventTypes.Rescheduled, EventTypes.Reopened);

        var old = State.DueAt;
        State.DueAt = newDue!.Value;
        RestartEscalation();
        Append(actor, now, EventTypes.Rescheduled, new() { ["from"] = Iso(old), ["to"] = Iso(State.DueAt), ["reason"] = reason! });
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> Cancel(Actor actor, string? reason)
    {
        var staff = await RequireStaff(actor);
        await RequireOpen("cancelled");
        if (!staff.IsManager && staff.Id != State.Owner)
        {
            throw RuleViolationException.Forbidden($"Only the owner ({State.Owner}) or a manager can cancel this promise.");
        }

        var v = new Validation();
        reason = v.Text("reason", reason, 1, MaxTextLength);
        v.ThrowIfInvalid();

        var now = time.GetUtcNow();
        var details = new Dictionary<string, string> { ["reason"] = reason! };
        DropPendingHandoff(details);
        State.Status = CommitmentStatus.Cancelled;
        Append(actor, now, EventTypes.Cancelled, details);
        await SaveAsync();
        return View();
    }

    public async Task<CommitmentView> Reopen(Actor actor, string? dueAt, string? reason)
    {
        await RequireCreated();
        if (actor.IsStaff)
        {
            var staff = await RequireStaff(actor);
            if (!staff.IsManager)
            {
                throw RuleViolationException.Forbidden("Only a manager (or the customer, by replying) can reopen a promise.");
            }
        }
        else if (actor.Kind != Actor.CustomerKind)
        {
            throw RuleViolationException.Forbidden("Only a manager or the customer can reopen a promise.");
        }

        if (State.Status != CommitmentStatus.Done)
        {
            throw RuleViolationException.Conflict(State.Status == CommitmentStatus.Open
                ? "This promise is still open; only a done promise can be reopened."
                : "This promise was cancelled; only a done promise can be reopened.");
        }

        var site = await RequireSite();
        var now = time.GetUtcNow();
        var v = new Validation();
        var newDue = Deadline.Parse(v, "dueAt", dueAt, site.Zone, now, MinimumLead);
        reason = v.Text("reason", reason, 1, MaxTextLength);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(State, PromiseCaps.Deadlines, "new deadlines", EventTypes.Rescheduled, EventTypes.Reopened);

        await ReopenAsync(actor, newDue!.Value, reason!, now);
        await SaveAsync();
        return View();
    }

    /// <summary>How long "done" can be taken back by whoever marked it (the guest's text waits as long).</summary>
    public static readonly TimeSpan UndoWindow = TimeSpan.FromSeconds(10);

    public async Task<CommitmentView> UndoComplete(Actor actor)
    {
        await RequireStaff(actor);
        await RequireCreated();
        var now = time.GetUtcNow();
        if (State.Status != CommitmentStatus.Done || State.History[^1] is not { Type: EventTypes.Completed } done || done.Actor != actor)
        {
            throw RuleViolationException.Conflict("Only the last change, a done marked by you, can be undone.");
        }

        if (now - done.At > UndoWindow)
        {
            throw RuleViolationException.Conflict($"Done can be undone for {UndoWindow.TotalSeconds:0} seconds; ask a manager to reopen it.");
        }

        await ReopenAsync(actor, State.DueAt, "Undone: marked done by mistake.", now, undo: true);
        await SaveAsync();
        return View();
    }

    /// <summary>The reopen rule, whoever asks (a manager, or the customer by text): open again, same owner, a new deadline and plan.</summary>
    private async Task ReopenAsync(Actor actor, DateTimeOffset dueAt, string reason, DateTimeOffset now, bool undo = false)
    {
        // First, before anything changes: the site may be full (its cap on open promises).
        var code = await Index.AllocateReplyCode(State.Id);
        var old = State.DueAt;
        State.DueAt = dueAt;
        State.Status = CommitmentStatus.Open;
        State.ReplyCode = code;
        RestartEscalation();
        var details = new Dictionary<string, string>
        {
            ["owner"] = State.Owner,
            ["from"] = Iso(old),
            ["dueAt"] = Iso(State.DueAt),
            ["reason"] = reason,
        };
        if (undo)
        {
            details["undo"] = "true";
        }

        Append(actor, now, EventTypes.Reopened, details);
    }

    public async Task<CommitmentView> AddNote(Actor actor, string? text)
    {
        await RequireCreated();
        await RequireStaff(actor);
        var v = new Validation();
        text = v.Text("text", text, 1, 1000);
        v.ThrowIfInvalid();
        PromiseCaps.RequireRoom(State, PromiseCaps.Notes, "notes", EventTypes.NoteAdded);

        Append(actor, time.GetUtcNow(), EventTypes.NoteAdded, new() { ["text"] = text! });
        await SaveAsync();
        return View();
    }

    private readonly List<HistoryEvent> _unplanned = [];

    private ISiteIndexGrain Index => GrainFactory.GetGrain<ISiteIndexGrain>(SiteId);

    private HistoryEvent Append(Actor actor, DateTimeOffset at, string type, Dictionary<string, string> details, bool planTexts = true)
    {
        var e = new HistoryEvent(State.History.Count + 1, at, actor, type, details);
        State.History.Add(e);
        if (planTexts)
        {
            _unplanned.Add(e);
        }

        return e;
    }

    private static Dictionary<string, string> WithNote(Dictionary<string, string> details, string? note)
    {
        if (note is not null)
        {
            details["note"] = note;
        }

        return details;
    }

    // Writes that failed in a row (storage refused or did not answer), and until when the outbox is
    // left alone: the sweep wakes a promise with due texts every second, and a promise whose record
    // storage refuses must not be tried every second forever. People's own actions still try.
    private int _failedSaves;
    private DateTimeOffset _quietUntil;
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromMinutes(5);

    private bool Quiet => time.GetUtcNow() < _quietUntil;

    /// <summary>Writes state first (the truth), then tells the index; the index heals if this process dies in between.</summary>
    /// <param name="indexInBackground">
    /// Escalation's own writes (nobody waits on a reply to read the index after them) tell the index without
    /// waiting for it: after a restart a site's index first reads its shards and catches up, and the step's
    /// texts must not wait for that.
    /// </param>
    private async Task SaveAsync(bool indexInBackground = false)
    {
        // The texts these events cause go into the same write (the outbox), and so does the id of
        // the job that wakes the promise for its next escalation step (scheduled before the write:
        // a job for a write that then failed only wakes a promise with nothing to do).
        string? obsoleteJob;
        try
        {
            await PlanInMemoryAsync();
            obsoleteJob = await PlanEscalationJobAsync();
        }
        catch (Exception ex) when (ex is not InconsistentStateException)
        {
            // Nothing was written: drop what this call changed in memory (events, planned texts),
            // so memory never runs ahead of the truth and a retry starts clean.
            await LoadAsync();
            throw;
        }

        try
        {
            await Stored.WriteAsync();
            _unwritten = false;
            _failedSaves = 0;
        }
        catch (Exception ex) when (ex is not InconsistentStateException || Stored.Loaded)
        {
            // The write may or may not have reached storage: reload so memory never runs ahead of the truth.
            if (ex is not InconsistentStateException)
            {
                _failedSaves++;
                _quietUntil = time.GetUtcNow() + TimeSpan.FromTicks(Math.Min(MaxQuiet.Ticks, TimeSpan.FromSeconds(1).Ticks << Math.Min(_failedSaves, 16)));
            }

            await LoadAsync();
            throw;
        }

        ForgetWrittenOutcomes();
        var indexed = UpdateIndexAsync();
        if (!indexInBackground)
        {
            // A person's change: the lists they open next already show it.
            await indexed;
        }

        await Insights.TellAsync(State, SiteId, async () => (await RequireSite()).Zone);
        SignalDueTexts();
        DeleteJob(obsoleteJob);
    }

    /// <summary>Before a write (or a send that comes before it): stale prepared steps dropped, and the texts of new events planned.</summary>
    private async Task PlanInMemoryAsync()
    {
        _savePolicy = null;
        await DropStaleStagingAsync();
        await PlanTextsAsync();
    }

    private async Task EnsureLoadedAsync()
    {
        if (!Stored.Loaded)
        {
            await LoadAsync();
        }
    }

    private async Task LoadAsync()
    {
        _unplanned.Clear();
        _lookUpFirst.Clear();
        _stepOfEvent.Clear();
        _unwritten = false;
        await Stored.LoadAsync();
        Insights.CaughtUp(State.History.Count);

        // A promise written just before a crash may be missing from the index; telling the index
        // again whenever the promise is read is idempotent (it keeps the highest version). Not waited
        // for: what the promise does next does not depend on it.
        if (State.Exists)
        {
            _ = UpdateIndexAsync();

            // Texts a process that is gone had in hand (a stop just after a step's moment) go now, not when a sweep comes by.
            SignalDueTexts();
        }
    }

    // This promise's updates to the index, one after another: two in flight could arrive out of order,
    // and an entry of the same version (a text's status, a job id) would go back to the older copy.
    private Task _indexUpdates = Task.CompletedTask;

    /// <summary>Tells the index what is stored now, after the updates before it; never throws.</summary>
    private Task UpdateIndexAsync() => _indexUpdates = UpdateIndexAfterAsync(_indexUpdates, IndexEntry.From(State));

    private async Task UpdateIndexAfterAsync(Task before, IndexEntry entry)
    {
        await before;
        try
        {
            await Index.Upsert(entry);
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping: the index catches up from stored state when it next activates.
        }
        catch (Exception ex)
        {
            // The promise is stored; the index catches up from stored state when it next activates.
            LogIndexUpdateFailed(logger, ex, State.Id);
        }
    }

    private CommitmentView View() => new(
        State.Id, State.Site, State.What, State.Customer!, State.PromisedBy, State.Owner, State.DueAt,
        State.Status, State.PendingHandoff, [.. State.History], State.CreatedAt,
        [.. State.Texts.Select(TextViewOf)], State.ReplyCode, State.Rating);

    private async Task RequireCreated()
    {
        await EnsureLoadedAsync();
        if (!State.Exists)
        {
            throw RuleViolationException.NotFound("id", "There is no promise with this id at this site.");
        }
    }

    private async Task RequireOpen(string action)
    {
        await RequireCreated();
        if (State.Status != CommitmentStatus.Open)
        {
            var state = State.Status == CommitmentStatus.Done ? "done" : "cancelled";
            throw RuleViolationException.Conflict(
                $"This promise is {state}, so it cannot be {action}; only notes can be added" +
                (State.Status == CommitmentStatus.Done ? ", or a manager can reopen it." : "."));
        }
    }

    private void RequireOwnerOrManager(StaffInfo staff, string action)
    {
        if (!staff.IsManager && staff.Id != State.Owner)
        {
            throw RuleViolationException.Forbidden($"Only the owner ({State.Owner}) or a manager can {action} this promise.");
        }
    }

    private async Task<SiteInfo> RequireSite() =>
        await Site.GetInfo() ?? throw RuleViolationException.NotFound("site", $"There is no site '{SiteId}'.");

    private async Task<StaffInfo> RequireStaff(Actor actor)
    {
        if (!actor.IsStaff)
        {
            throw RuleViolationException.Forbidden("Only staff of this site can do this.");
        }

        var staff = await Site.GetStaff(actor.Id);
        if (staff is not { Active: true })
        {
            throw RuleViolationException.Forbidden($"'{actor.Id}' is not an active staff member of this site.");
        }

        return staff;
    }

    private async Task<StaffInfo> RequireRecipient(string field, string staffId, string owner)
    {
        var recipient = await Site.GetStaff(staffId);
        if (recipient is null)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' is not a staff member of this site; name one person.");
        }

        if (!recipient.Active)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' is no longer active at this site and cannot be handed anything.");
        }

        if (recipient.Id == owner)
        {
            throw RuleViolationException.Invalid(field, $"'{staffId}' already owns this promise; hand it to someone else.");
        }

        return recipient;
    }

    private static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private sealed record NormalizedRequest(string What, Customer Customer, DateTimeOffset DueAt, string? HandoffTo, string? HandoffNote, string Fingerprint);

    private static NormalizedRequest Normalize(NewCommitment input, SiteInfo site, StaffInfo maker, DateTimeOffset now, bool checkLead, TimeSpan minimumLead)
    {
        var v = new Validation();
        var what = v.Text("what", input.What, 1, MaxTextLength);
        var c = input.Customer;
        string? name = null, mobile = null, room = null, language = null;
        if (c is null)
        {
            v.Add("customer", "is required: at least the customer's name.");
        }
        else
        {
            name = v.Text("customer.name", c.Name, 1, 100);
            mobile = Phone.Normalize(v, "customer.mobile", c.Mobile, site.PhoneRegion, required: false);
            room = v.Text("customer.room", c.Room, 1, 40, required: false);
            language = v.Text("customer.language", c.Language, 2, 16, required: false);
            if (language is not null && !IsLanguageTag(language))
            {
                v.Add("customer.language", "must be a language tag such as 'en' or 'es'.");
            }

            if (c.SmsConsent == true && mobile is null && string.IsNullOrWhiteSpace(c.Mobile))
            {
                v.Add("customer.smsConsent", "needs a customer mobile to text.");
            }
        }

        // A retry may arrive after the deadline's lead time has shrunk; only a fresh create checks it.
        var due = Deadline.Parse(v, "dueAt", input.DueAt, site.Zone, checkLead ? now : null, minimumLead);

        var handoffTo = string.IsNullOrWhiteSpace(input.HandoffTo) ? null : input.HandoffTo.Trim();
        var note = v.Text("handoffNote", input.HandoffNote, 1, MaxTextLength, required: false);
        if (note is not null && handoffTo is null)
        {
            v.Add("handoffNote", "goes with handoffTo: name the person the note is for.");
        }

        v.ThrowIfInvalid();
        var customer = new Customer(name!, mobile, room, c!.SmsConsent ?? false, language?.ToLowerInvariant());
        var fingerprint = string.Join('\u001f', what, customer.Name, customer.Mobile, customer.Room, customer.SmsConsent,
            customer.Language, due!.Value.UtcTicks, handoffTo, note, maker.Id);
        return new NormalizedRequest(what!, customer, due.Value, handoffTo, note, fingerprint);
    }

    private static bool IsLanguageTag(string tag) =>
        tag.All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '-') && char.IsAsciiLetter(tag[0]);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index update for promise {CommitmentId} failed; the index will heal from stored state")]
    private static partial void LogIndexUpdateFailed(ILogger logger, Exception exception, Guid commitmentId);
}
