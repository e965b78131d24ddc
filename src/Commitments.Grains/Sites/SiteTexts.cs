using Commitments.Grains.Index;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Sites;

/// <summary>
/// The site's outbox (<see cref="SiteState.Texts"/>), by the rules of <see cref="TextAttempts"/>: recorded before a send,
/// looked up before any resend.
/// </summary>
internal sealed class SiteTexts(
    TimeProvider time,
    StaffPhones phones,
    IGrainFactory grains,
    string siteId,
    ITextSignal? textSignal,
    Func<SiteState> state,
    Func<Task> write)
{
    public async Task<TextWork> BeginDueTexts(string dispatcherId)
    {
        var due = state().Exists ? phones.Due(state(), dispatcherId, ClaimantGone) : [];
        if (due.Count == 0)
        {
            return TextWork.None;
        }

        var now = time.GetUtcNow();
        var send = new List<TextToSend>();
        var poll = new List<TextPoll>();
        foreach (var text in due)
        {
            if (text.Stage == TextStage.Submitted)
            {
                poll.Add(TextAttempts.Poll(text));
            }
            else if ((StaffPhones.SkipReason(state(), text)
                ?? (await IHandsetGrain.For(grains, text.To).IsOptedOut() ? "The recipient opted out (STOP)." : null)) is { } reason)
            {
                StaffPhones.Skip(text, reason, now);
            }
            else if (text.Body is not null)
            {
                send.Add(TextAttempts.Send(text, state().Texts, siteId, TextOutboxes.SiteTexts, dispatcherId, now));
            }
        }

        // Recorded before sending: after a crash it is looked up, never resent blindly.
        await write();
        TellIndexWhenTextsAreDue();
        return new TextWork(send, poll);
    }

    public async Task RecordSendOutcome(string textId, SendOutcome outcome)
    {
        if (state().Texts.FirstOrDefault(t => t.Id == textId) is not { Stage: not TextStage.Skipped } text)
        {
            return;
        }

        if (TextAttempts.ApplyOutcome(text, outcome, time.GetUtcNow()) == TextAttempts.Applied.Failed && outcome.OptedOut)
        {
            IHandsetGrain.For(grains, text.To).SetOptedOut(true).Ignore();
        }

        StaffPhones.Settled(text);
        await write();
        TellIndexWhenTextsAreDue();
    }

    public async Task UpdateTextStatus(string textId, string messageSid, string status, int? errorCode)
    {
        if (state().Texts.FirstOrDefault(t => t.Id == textId) is not { } text || (text.MessageSid is not null && text.MessageSid != messageSid))
        {
            return;
        }

        if (errorCode == 21610)
        {
            IHandsetGrain.For(grains, text.To).SetOptedOut(true).Ignore();
        }

        if (TextAttempts.ApplyStatus(text, messageSid, status, errorCode, time.GetUtcNow()).Changed)
        {
            StaffPhones.Settled(text);
            await write();
        }
    }

    public string? SubmittedSid(string textId) => state().Texts.FirstOrDefault(t => t.Id == textId)?.MessageSid;

    public void Wake()
    {
        if (state().Exists && textSignal is not null && phones.Due(state(), textSignal.DispatcherId, ClaimantGone).Count > 0)
        {
            textSignal.TextsReady(siteId, TextOutboxes.SiteTexts);
        }

        TellIndexWhenTextsAreDue();
    }

    private bool ClaimantGone(string dispatcherId) => textSignal is null || !textSignal.IsAlive(dispatcherId);

    /// <summary>The dispatcher hears at once; the index's sweep wakes the site when the next is due.</summary>
    public void Changed()
    {
        textSignal?.TextsReady(siteId, TextOutboxes.SiteTexts);
        TellIndexWhenTextsAreDue();
    }

    // One way: the index wakes this site (one way too) from its sweep.
    private void TellIndexWhenTextsAreDue() =>
        grains.GetGrain<ISiteIndexGrain>(siteId).SiteTextsDue(phones.NextWorkAt(state())).Ignore();
}
