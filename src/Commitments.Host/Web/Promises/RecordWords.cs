using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Commitments.Host.Web.Shared;

namespace Commitments.Host.Web.Promises;

/// <summary>A promise's record as sentences with names instead of ids; numbers stay masked.</summary>
public sealed class RecordWords(SiteInfo site, IReadOnlyDictionary<string, StaffInfo> people)
{
    public string Name(string? staffId) =>
        staffId is null ? "someone" : people.TryGetValue(staffId, out var p) ? p.Name : staffId;

    private string Who(Actor actor) => actor.IsStaff ? Name(actor.Id) : actor.Kind switch
    {
        Actor.CustomerKind => "The guest",
        _ => "Commitments",
    };

    private string When(DateTimeOffset? at) => at is { } moment ? SiteClock.DateAndTime(site, moment) : "";

    /// <summary>"Texted Maria Lopez (owner), ••0142: overdue — delivered 2:01 pm".</summary>
    public string Text(TextView t)
    {
        var who = t.StaffId is { } id ? $"{Name(id)} ({t.RecipientRole})" : "the guest";
        var digits = new string([.. t.To.Where(char.IsAsciiDigit).TakeLast(4)]);
        var where = t.Status switch
        {
            "skipped" => $"not sent: {t.Reason}",
            "failed" or "undelivered" => $"{t.Status}{(t.Reason is { Length: > 0 } r ? $": {r}" : "")}",
            "held" or "bundled" => $"{t.Status}{(t.Reason is { Length: > 0 } r ? $": {r}" : "")}",
            "waiting" or "attempting" => t.Status,
            _ => $"{t.Status} {SiteClock.Time(site, t.UpdatedAt)}",
        };
        return $"{(t.SentAt is null ? "Text to" : "Texted")} {who}, ••{digits}: {Kind(t.Kind)} — {where}";
    }

    public static string Kind(string kind) => kind switch
    {
        TextKinds.CustomerCreated => "what was promised",
        TextKinds.HandoffOffered => "the offer",
        TextKinds.CustomerHandoffAccepted => "who is on it now",
        TextKinds.ProposerHandoffAccepted => "the offer was accepted",
        TextKinds.HandoffDeclined => "the offer was declined",
        TextKinds.CustomerRescheduled or TextKinds.OwnerRescheduled => "the new time",
        TextKinds.CustomerCompleted => "done, please rate it",
        TextKinds.CustomerCancelled => "it will not happen",
        TextKinds.CustomerReplied => "the guest's reply",
        TextKinds.CustomerReopened => "the guest says it is not done",
        TextKinds.Reminder => "reminder",
        TextKinds.Overdue => "overdue",
        TextKinds.Apology => "apology",
        TextKinds.HandoffStalled => "offer not accepted",
        _ => kind.Replace('-', ' '),
    };

    /// <summary>One history event as a sentence.</summary>
    public string Event(HistoryEvent e, CommitmentView view)
    {
        var d = e.Read();
        static string Quote(string? text) => text is { Length: > 0 } ? $": “{text}”" : "";
        string Texted() => d.HasTexted
            ? "texted " + string.Join(", ", d.Texted.Select(Name))
            : d.Skipped is { } why ? $"nobody texted ({why.TrimEnd('.')})" : "";
        var withdrawn = d.WithdrawnOffer is { } offeredTo ? $"; the offer to {Name(offeredTo)} was withdrawn" : "";

        return e.Type switch
        {
            EventTypes.Created => $"{Who(e.Actor)} made the promise to {view.Customer.Name}, due {When(d.DueAt)}",
            EventTypes.HandoffProposed => $"{Who(e.Actor)} offered it to {Name(d.To)}{Quote(d.Note)}",
            EventTypes.HandoffWithdrawn => $"{Who(e.Actor)} withdrew the offer to {Name(d.To)}",
            EventTypes.HandoffAccepted => $"{Name(d.To)} accepted it from {Name(d.OfferedBy ?? d.From)}",
            EventTypes.HandoffDeclined => $"{Name(d.To)} declined it{Quote(d.Reason)}; {Name(d.Owner)} keeps it",
            EventTypes.Completed => Done(e) + Quote(d.Note) + withdrawn,
            EventTypes.Rescheduled => $"{Who(e.Actor)} moved it to {When(d.NewDueAt)} (was {When(d.OldDueAt)}){Quote(d.Reason)}",
            EventTypes.Cancelled => $"{Who(e.Actor)} cancelled it{Quote(d.Reason)}{withdrawn}",
            EventTypes.Reopened when e.Actor.Kind == Actor.CustomerKind => $"The guest said it is not done: reopened, due {When(d.DueAt)}",
            EventTypes.Reopened when d.Undo => $"{Who(e.Actor)} undid “done”: open again, due {When(d.DueAt)}",
            EventTypes.Reopened => $"{Who(e.Actor)} reopened it, due {When(d.DueAt)}{Quote(d.Reason)}",
            EventTypes.NoteAdded => $"{Who(e.Actor)} added a note{Quote(d.Message)}",
            EventTypes.CustomerReplied => $"The guest wrote{(d.ViaStatusPage ? " on the status page" : "")}{Quote(d.Message)}",
            EventTypes.Rated => $"The guest rated it {d.Rating} of 5",
            EventTypes.Acknowledged => $"{Name(d.AcknowledgedBy ?? e.Actor.Id)} is on it (acknowledged) until {When(d.Until)}",
            EventTypes.Reminded => $"Reminder before the deadline: {Texted()}",
            EventTypes.Escalated => $"Escalated to level {d.Level}, {d.LateMinutes} min late: {Texted()}",
            EventTypes.Apologized => d.Skipped is { } noApology ? $"No apology texted: {noApology}" : "Apology texted to the guest",
            EventTypes.HandoffStalled => $"{Name(d.To)} had not accepted it after {d.MinutesAgo} min: {Texted()}",
            _ => e.Type,
        };

        string Done(HistoryEvent done)
        {
            var due = d.DueAt ?? view.DueAt;
            var late = done.At - due;
            var timing = late <= TimeSpan.Zero ? "Done on time" : $"Done {Words.Span(late)} late";
            return $"{timing} ({Who(done.Actor)})";
        }
    }
}
