using System.Globalization;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Commitments.Host.Web.Shared;

namespace Commitments.Host.Web.Promises;

/// <summary>
/// A promise's record as a person reads it: every text and every event a sentence with names, not
/// ids or raw fields ("Maria Lopez accepted it from Dana Whitfield", "Texted Maria Lopez (owner),
/// ••0142: overdue — delivered 2:01 pm"). Numbers stay masked.
/// </summary>
public sealed class RecordWords(SiteInfo site, IReadOnlyDictionary<string, StaffInfo> people)
{
    public string Name(string? staffId) =>
        staffId is null ? "someone" : people.TryGetValue(staffId, out var p) ? p.Name : staffId;

    private string Who(Actor actor) => actor.IsStaff ? Name(actor.Id) : actor.Kind switch
    {
        Actor.CustomerKind => "The guest",
        _ => "Commitments",
    };

    private string When(string? iso) =>
        iso is not null && DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            ? SiteClock.DateAndTime(site, at)
            : "";

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
        string D(string key) => e.Details.GetValueOrDefault(key) ?? "";
        string Quote(string key) => e.Details.TryGetValue(key, out var text) && text.Length > 0 ? $": “{text}”" : "";
        string Texted() => e.Details.TryGetValue("texted", out var list)
            ? "texted " + string.Join(", ", list.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Name))
            : e.Details.TryGetValue("skipped", out var why) ? $"nobody texted ({why.TrimEnd('.')})" : "";
        var withdrawn = e.Details.TryGetValue("handoffWithdrawn", out var offeredTo) ? $"; the offer to {Name(offeredTo)} was withdrawn" : "";

        return e.Type switch
        {
            EventTypes.Created => $"{Who(e.Actor)} made the promise to {view.Customer.Name}, due {When(D("dueAt"))}",
            EventTypes.HandoffProposed => $"{Who(e.Actor)} offered it to {Name(D("to"))}{Quote("note")}",
            EventTypes.HandoffWithdrawn => $"{Who(e.Actor)} withdrew the offer to {Name(D("to"))}",
            EventTypes.HandoffAccepted => $"{Name(D("to"))} accepted it from {Name(e.Details.GetValueOrDefault("offeredBy") ?? D("from"))}",
            EventTypes.HandoffDeclined => $"{Name(D("to"))} declined it{Quote("reason")}; {Name(D("owner"))} keeps it",
            EventTypes.Completed => Done(e) + Quote("note") + withdrawn,
            EventTypes.Rescheduled => $"{Who(e.Actor)} moved it to {When(D("to"))} (was {When(D("from"))}){Quote("reason")}",
            EventTypes.Cancelled => $"{Who(e.Actor)} cancelled it{Quote("reason")}{withdrawn}",
            EventTypes.Reopened when e.Actor.Kind == Actor.CustomerKind => $"The guest said it is not done: reopened, due {When(D("dueAt"))}",
            EventTypes.Reopened when e.Details.ContainsKey("undo") => $"{Who(e.Actor)} undid “done”: open again, due {When(D("dueAt"))}",
            EventTypes.Reopened => $"{Who(e.Actor)} reopened it, due {When(D("dueAt"))}{Quote("reason")}",
            EventTypes.NoteAdded => $"{Who(e.Actor)} added a note{Quote("text")}",
            EventTypes.CustomerReplied => $"The guest wrote{(D("via") == "status-page" ? " on the status page" : "")}{Quote("text")}",
            EventTypes.Rated => $"The guest rated it {D("rating")} of 5",
            EventTypes.Acknowledged => $"{Name(e.Details.GetValueOrDefault("by") ?? e.Actor.Id)} is on it (acknowledged) until {When(D("until"))}",
            EventTypes.Reminded => $"Reminder before the deadline: {Texted()}",
            EventTypes.Escalated => $"Escalated to level {D("level")}, {D("late")} min late: {Texted()}",
            EventTypes.Apologized => e.Details.TryGetValue("skipped", out var noApology) ? $"No apology texted: {noApology}" : "Apology texted to the guest",
            EventTypes.HandoffStalled => $"{Name(D("to"))} had not accepted it after {D("ago")} min: {Texted()}",
            _ => e.Type,
        };

        string Done(HistoryEvent done)
        {
            var due = DateTimeOffset.TryParse(D("dueAt"), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : view.DueAt;
            var late = done.At - due;
            var timing = late <= TimeSpan.Zero ? "Done on time" : $"Done {Words.Span(late)} late";
            return $"{timing} ({Who(done.Actor)})";
        }
    }
}
