using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

// The texting side of the promise aggregate: the outbox, send attempts and statuses, customer replies.
namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
    /// <summary>
    /// How long a dispatcher's claim on a text holds. Past it the text is due again (with a look-up
    /// first), so a text whose outcome was never recorded — an exception, a lost reply — cannot stay
    /// claimed for ever; the dispatcher ignores texts it still has in hand.
    /// </summary>
    public static readonly TimeSpan AttemptLease = TimeSpan.FromMinutes(2);
    private static readonly string[] NotDone = ["NOT DONE", "NOTDONE", "NOT DONE!", "NO"];

    public async Task<TextWork> BeginDueTexts(string dispatcherId)
    {
        if (Quiet)
        {
            return TextWork.None;
        }

        await EnsureLoadedAsync();
        var now = time.GetUtcNow();
        var due = State.Texts.Where(t => TextAttempts.IsDue(t, now, dispatcherId, ClaimantGone)).ToList();
        if (due.Count == 0)
        {
            return TextWork.None;
        }

        var site = await RequireSite();
        var staff = await StaffDirectory();
        var send = new List<TextToSend>();
        var poll = new List<TextPoll>();
        var skipped = false;
        foreach (var text in due)
        {
            if (text.Stage == TextStage.Submitted)
            {
                poll.Add(TextAttempts.Poll(text));
                continue;
            }

            if (await SkipReason(text, staff) is { } reason)
            {
                TextAttempts.Skip(text, reason, now);
                skipped = true;
                continue;
            }

            text.Body ??= TextPlanner.Render(text, State, site, staff, now);
            send.Add(TextAttempts.Send(text, State.Texts, SiteId, State.Id, dispatcherId, now));
        }

        // The attempt is on record before anything is sent: a crash from here on is looked up, never resent blindly.
        if (send.Count > 0 || poll.Count > 0 || skipped)
        {
            await SaveAsync();
        }
        return new TextWork(send, poll);
    }

    public async Task RecordSendOutcome(string textId, SendOutcome outcome)
    {
        await EnsureLoadedAsync();
        if (outcome.MessageSid is not null && _handedOff.Contains(textId))
        {
            _outcomesInHand[textId] = outcome;
        }

        var text = State.Texts.FirstOrDefault(t => t.Id == textId);
        if (text is null || text.Stage is TextStage.Skipped)
        {
            return;
        }

        var now = time.GetUtcNow();
        switch (TextAttempts.ApplyOutcome(text, outcome, now))
        {
            case TextAttempts.Applied.AlreadySubmitted:
                if (outcome.MessageSid is { } other && other != text.MessageSid)
                {
                    LogSecondSid(logger, State.Id, textId);
                }

                return;
            case TextAttempts.Applied.Submitted:
                TellHandset(text, now);
                break;
            case TextAttempts.Applied.Failed when outcome.OptedOut:
                // Not awaited: the handset may be busy acting on a reply to this very promise.
                IHandsetGrain.For(GrainFactory, text.To).SetOptedOut(true).Ignore();
                break;
        }

        if (AwaitsAdoption(textId))
        {
            // Written with its step's event in a moment; if that write never happens the step is
            // still due with no record, and its texts are looked up at Twilio before any send.
            _unwritten = true;
            return;
        }

        await SaveAsync();
    }

    public async Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode)
    {
        await EnsureLoadedAsync();
        var text = State.Texts.FirstOrDefault(t => t.Id == textId);
        if (text is null || (text.MessageSid is not null && text.MessageSid != messageSid))
        {
            return;
        }

        var now = time.GetUtcNow();
        var (changed, submitted) = TextAttempts.ApplyStatus(text, messageSid, status, errorCode, now);
        if (submitted)
        {
            TellHandset(text, now);
        }

        if (errorCode == 21610)
        {
            IHandsetGrain.For(GrainFactory, text.To).SetOptedOut(true).Ignore();
        }

        if (changed)
        {
            await SaveAsync();
        }
    }

    private const string StatusPageVia = "status-page";

    public async Task<string?> CustomerReplied(string body, bool viaStatusPage)
    {
        await RequireCreated();
        var now = time.GetUtcNow();
        if (viaStatusPage)
        {
            var lastHour = State.History.Where(e => e.Type == EventTypes.CustomerReplied && e.At > now - TimeSpan.FromHours(1) && e.Details.GetValueOrDefault("via") == StatusPageVia).ToList();
            if (lastHour.Count >= PromiseCaps.StatusPageMessagesPerHour)
            {
                throw new RuleViolationException(RuleKind.TooManyAttempts, "message",
                    "Thank you, we have your messages. Write again in an hour, or call the front desk.")
                {
                    RetryAfterSeconds = (int)Math.Ceiling((lastHour.Min(e => e.At) + TimeSpan.FromHours(1) - now).TotalSeconds),
                };
            }
        }

        if (!PromiseCaps.RoomForCustomer(State))
        {
            // A text past the cap is not recorded (nor forwarded); the status page says so.
            return viaStatusPage
                ? throw new RuleViolationException(RuleKind.Conflict, "message", "This request has all the messages it can hold. Please call the front desk.")
                : null;
        }

        var customer = new Actor(Actor.CustomerKind, "customer");
        var trimmed = body.Trim();
        var upper = trimmed.ToUpperInvariant();
        var details = new Dictionary<string, string> { ["text"] = trimmed.Length <= 1000 ? trimmed : trimmed[..1000] };
        if (viaStatusPage)
        {
            details["via"] = StatusPageVia;
        }

        Append(customer, now, EventTypes.CustomerReplied, details);

        string? answer = null;
        var language = TextTemplates.Pick(State.Customer?.Language, (await RequireSite()).Language);
        if (State.Status == CommitmentStatus.Done && trimmed.Length == 1 && trimmed[0] is >= '1' and <= '5')
        {
            State.Rating = trimmed[0] - '0';
            Append(customer, now, EventTypes.Rated, new() { ["rating"] = trimmed });
            answer = TextTemplates.Render("ReplyRated", language, new Dictionary<string, string> { ["rating"] = trimmed });
        }
        else if (State.Status == CommitmentStatus.Done && NotDone.Contains(upper.TrimEnd('.', '!'))
            && State.History.Count(e => e.Type is EventTypes.Rescheduled or EventTypes.Reopened) < PromiseCaps.Deadlines)
        {
            // The customer's "not done" goes through the same reopen rule, with the customer as the actor.
            var site = await RequireSite();
            var staff = await StaffDirectory();
            await ReopenAsync(customer, now + TimeSpan.FromMinutes(30), "The customer replied that it is not done.", now);
            answer = TextTemplates.Render("ReplyReopened", language, new Dictionary<string, string>
            {
                ["owner"] = TextTemplates.Name(staff.GetValueOrDefault(State.Owner)?.Name ?? State.Owner),
                ["due"] = TextTemplates.When(State.DueAt, now, site.Zone, language),
            });
        }

        await SaveAsync();
        return answer;
    }

    private async Task PlanTextsAsync()
    {
        if (_unplanned.Count == 0)
        {
            return;
        }

        var site = await RequireSite();
        var staff = await StaffDirectory();
        var before = State.Texts.Count;
        foreach (var e in _unplanned)
        {
            TextPlanner.Plan(new PlanContext(State, e, site, staff, e.At) { IdPrefix = TextIdPrefix(e.Seq), StatusLink = statusLinks?.Url(SiteId, State.Id) });
        }

        _unplanned.Clear();
        _stepOfEvent.Clear();
        var added = State.Texts[before..];
        await LimitEscalationTextsAsync(added, staff);
        MarkForLookUp(added, site, staff);
    }

    public async Task<string?> SubmittedSid(string textId)
    {
        // A fresh activation (the promise's silo died mid-send) reads its state first: a callback may have recorded the SID.
        await EnsureLoadedAsync();
        return State.Texts.FirstOrDefault(t => t.Id == textId)?.MessageSid;
    }

    /// <summary>Twilio accepted the text: the phone's grain learns of it, so replies find this promise.</summary>
    private void TellHandset(OutboundText text, DateTimeOffset now) =>
        IHandsetGrain.For(GrainFactory, text.To).Texted(new HandsetText(SiteId, State.Id, text.Kind, text.StaffId, State.ReplyCode, now)).Ignore();

    private void SignalDueTexts()
    {
        var now = time.GetUtcNow();
        // Attempts by a dispatcher whose silo is gone, their moment passed: their texts may never have
        // reached Twilio, and are looked up and sent now.
        if (textSignal is not null && State.Texts.Any(t => (t.Stage == TextStage.Waiting && t.NotBefore <= now)
            || (t.Stage == TextStage.Attempting && (t.AttemptBy == EarlierActivation || (t.AttemptBy is { } by && by != textSignal.DispatcherId && t.AttemptStartedAt <= now && ClaimantGone(by))))))
        {
            textSignal.TextsReady(SiteId, State.Id);
        }
    }

    public async Task WakeTexts()
    {
        if (Quiet)
        {
            return;
        }

        await EnsureLoadedAsync();
        var now = time.GetUtcNow();
        if (textSignal is not null && State.Texts.Any(t => TextAttempts.IsDue(t, now, textSignal.DispatcherId, ClaimantGone)))
        {
            textSignal.TextsReady(SiteId, State.Id);
        }
    }

    private bool ClaimantGone(string dispatcherId) => textSignal is null || !textSignal.IsAlive(dispatcherId);

    private async Task<string?> SkipReason(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        if (text.StaffId is not null && staff.GetValueOrDefault(text.StaffId) is not { Active: true })
        {
            return "The staff member is no longer active.";
        }

        if (text.StaffId is not null && staff.GetValueOrDefault(text.StaffId) is { MobileUnverified: true } unverified && unverified.Mobile == text.To)
        {
            return "The staff member's phone is not verified yet.";
        }

        if (text.Kind == TextKinds.CustomerCompleted
            && State.Texts.Any(o => o.EventSeq > text.EventSeq && o.To == text.To && o.Stage == TextStage.Submitted))
        {
            return "A newer text went out first.";
        }

        var optedOut = text.StaffId is not null && staff.GetValueOrDefault(text.StaffId) is { } person && person.Mobile == text.To
            ? await OptedOutAsync(person)
            : await IHandsetGrain.For(GrainFactory, text.To).IsOptedOut();
        if (optedOut)
        {
            return "The recipient opted out (STOP).";
        }

        return null;
    }

    private async Task<IReadOnlyDictionary<string, StaffInfo>> StaffDirectory() =>
        (await Site.ListStaff(includeInactive: true)).ToDictionary(s => s.Id);

    private static TextView TextViewOf(OutboundText t) => new(
        t.Id,
        Phone.Mask(t.To),
        t.RecipientRole,
        t.Kind,
        TextStatus.Describe(t),
        t.ErrorCode,
        t.Reason,
        t.SentAt,
        t.UpdatedAt,
        t.StaffId);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Text {TextId} of promise {CommitmentId} got a second Twilio SID; the first stands")]
    private static partial void LogSecondSid(Microsoft.Extensions.Logging.ILogger logger, Guid commitmentId, string textId);
}
