using Commitments.Grains.Commitments;
using Commitments.Grains.Customers;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Texts;

/// <summary>
/// A promise's outbox: texts planned into the same write as their events, claimed on record before sending, outcomes recorded.
/// The rules for one text are <see cref="TextAttempts"/>.
/// </summary>
internal sealed partial class Outbox(IPromise promise, ITextSignal? textSignal, StatusLinks? statusLinks, ILogger logger)
{
    private static readonly TimeSpan MaxQuiet = TimeSpan.FromMinutes(5);

    // Events whose texts are not planned yet (planned just before the write).
    private readonly List<HistoryEvent> _unplanned = [];

    // Back-off after failed writes: the sweep wakes due promises every second, and a record storage refuses must not be
    // retried that often forever. People's own actions still try.
    private int _failedSaves;
    private DateTimeOffset _quietUntil;

    private CommitmentState State => promise.State;

    private bool Quiet => promise.Now < _quietUntil;

    public void Expect(HistoryEvent e) => _unplanned.Add(e);

    public void Replace(HistoryEvent old, HistoryEvent noted)
    {
        var i = _unplanned.IndexOf(old);
        if (i >= 0)
        {
            _unplanned[i] = noted;
        }
    }

    /// <summary>The stored state was read again: nothing unwritten is left to plan.</summary>
    public void Reset() => _unplanned.Clear();

    public void Written() => _failedSaves = 0;

    public void WriteFailed()
    {
        _failedSaves++;
        _quietUntil = promise.Now + TimeSpan.FromTicks(Math.Min(MaxQuiet.Ticks, TimeSpan.FromSeconds(1).Ticks << Math.Min(_failedSaves, 16)));
    }

    /// <summary>Plans the texts of the new events into the outbox; null when there were none.</summary>
    public async Task<(IReadOnlyList<OutboundText> Added, SiteInfo Site, IReadOnlyDictionary<string, StaffInfo> Staff)?> PlanAsync(
        Func<int, string?> idPrefix)
    {
        if (_unplanned.Count == 0)
        {
            return null;
        }

        var site = await promise.RequireSite();
        var staff = await promise.StaffDirectory();
        var before = State.Texts.Count;
        foreach (var e in _unplanned)
        {
            TextPlanner.Plan(new PlanContext(State, e, site, staff, e.At)
            {
                IdPrefix = idPrefix(e.Seq), StatusLink = statusLinks?.Url(promise.SiteId, State.Id)
            });
        }

        _unplanned.Clear();
        return (State.Texts[before..], site, staff);
    }

    /// <summary>Due texts claimed (the caller writes before anything is sent), skips decided, statuses to poll.</summary>
    public async Task<(TextWork Work, bool Changed)> BeginDueAsync(string dispatcherId)
    {
        if (Quiet)
        {
            return (TextWork.None, false);
        }

        await promise.EnsureLoadedAsync();
        var now = promise.Now;
        var due = State.Texts.Where(t => TextAttempts.IsDue(t, now, dispatcherId, ClaimantGone)).ToList();
        if (due.Count == 0)
        {
            return (TextWork.None, false);
        }

        var site = await promise.RequireSite();
        var staff = await promise.StaffDirectory();
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
            send.Add(TextAttempts.Send(text, State.Texts, promise.SiteId, State.Id, dispatcherId, now));
        }

        return (new TextWork(send, poll), send.Count > 0 || poll.Count > 0 || skipped);
    }

    /// <summary>How sending a text ended; true if the text changed (to be written).</summary>
    public bool ApplyOutcome(string textId, SendOutcome outcome)
    {
        var text = State.Texts.FirstOrDefault(t => t.Id == textId);
        if (text is null || text.Stage is TextStage.Skipped)
        {
            return false;
        }

        var now = promise.Now;
        switch (TextAttempts.ApplyOutcome(text, outcome, now))
        {
            case TextAttempts.Applied.AlreadySubmitted:
                if (outcome.MessageSid is { } other && other != text.MessageSid)
                {
                    LogSecondSid(logger, State.Id, textId);
                }

                return false;
            case TextAttempts.Applied.Submitted:
                TellHandset(promise, text, now);
                break;
            case TextAttempts.Applied.Failed when outcome.OptedOut:
                // Not awaited: the handset may be busy acting on a reply to this very promise.
                IHandsetGrain.For(promise.Grains, text.To).SetOptedOut(true).Ignore();
                break;
        }

        return true;
    }

    /// <summary>A callback's or a poll's status; true if the text changed.</summary>
    public bool ApplyStatus(string textId, string messageSid, string status, int? errorCode)
    {
        var text = State.Texts.FirstOrDefault(t => t.Id == textId);
        if (text is null || (text.MessageSid is not null && text.MessageSid != messageSid))
        {
            return false;
        }

        var now = promise.Now;
        var (changed, submitted) = TextAttempts.ApplyStatus(text, messageSid, status, errorCode, now);
        if (submitted)
        {
            TellHandset(promise, text, now);
        }

        if (errorCode == 21610)
        {
            IHandsetGrain.For(promise.Grains, text.To).SetOptedOut(true).Ignore();
        }

        return changed;
    }

    public string? SubmittedSid(string textId) => State.Texts.FirstOrDefault(t => t.Id == textId)?.MessageSid;

    /// <summary>After a write (or a read): the dispatcher hears of texts due now.</summary>
    public void Signal()
    {
        var now = promise.Now;
        // A dead silo's expired attempts may never have reached Twilio: look them up and send now.
        if (textSignal is not null && State.Texts.Any(t => (t.Stage == TextStage.Waiting && t.NotBefore <= now)
            || (t.Stage == TextStage.Attempting && (t.AttemptBy == EscalationSteps.EarlierActivation
                || (t.AttemptBy is { } by && by != textSignal.DispatcherId && t.AttemptStartedAt <= now && ClaimantGone(by))))))
        {
            textSignal.TextsReady(promise.SiteId, State.Id);
        }
    }

    /// <summary>The sweep's poke: the dispatcher hears of due texts (a storage-refused promise is left alone a while).</summary>
    public async Task WakeAsync()
    {
        if (Quiet)
        {
            return;
        }

        await promise.EnsureLoadedAsync();
        var now = promise.Now;
        if (textSignal is not null && State.Texts.Any(t => TextAttempts.IsDue(t, now, textSignal.DispatcherId, ClaimantGone)))
        {
            textSignal.TextsReady(promise.SiteId, State.Id);
        }
    }

    public IReadOnlyList<TextView> Views() => [.. State.Texts.Select(t => new TextView(
        t.Id, Phone.Mask(t.To), t.RecipientRole, t.Kind, TextStatus.Describe(t), t.ErrorCode, t.Reason, t.SentAt, t.UpdatedAt, t.StaffId))];

    /// <summary>Twilio accepted the text: the phone's grain learns of it, so replies find this promise.</summary>
    public static void TellHandset(IPromise promise, OutboundText text, DateTimeOffset now) =>
        IHandsetGrain.For(promise.Grains, text.To)
            .Texted(new HandsetText(promise.SiteId, promise.State.Id, text.Kind, text.StaffId, promise.State.ReplyCode, now)).Ignore();

    private bool ClaimantGone(string dispatcherId) => textSignal is null || !textSignal.IsAlive(dispatcherId);

    private async Task<string?> SkipReason(OutboundText text, IReadOnlyDictionary<string, StaffInfo> staff)
    {
        var person = text.StaffId is null ? null : staff.GetValueOrDefault(text.StaffId);
        if (text.StaffId is not null && person is not { Active: true })
        {
            return "The staff member is no longer active.";
        }

        if (person is { MobileUnverified: true } && person.Mobile == text.To)
        {
            return "The staff member's phone is not verified yet.";
        }

        if (text.Kind == TextKinds.CustomerCompleted
            && State.Texts.Any(o => o.EventSeq > text.EventSeq && o.To == text.To && o.Stage == TextStage.Submitted))
        {
            return "A newer text went out first.";
        }

        var optedOut = person is not null && person.Mobile == text.To
            ? await StepPlanner.OptedOutAsync(promise.Grains, person)
            : await IHandsetGrain.For(promise.Grains, text.To).IsOptedOut();
        return optedOut ? "The recipient opted out (STOP)." : null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Text {TextId} of promise {CommitmentId} got a second Twilio SID; the first stands")]
    private static partial void LogSecondSid(ILogger logger, Guid commitmentId, string textId);
}
