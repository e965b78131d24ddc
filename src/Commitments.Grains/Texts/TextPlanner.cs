using System.Globalization;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Texts;

/// <summary>What the planner knows when an event happens.</summary>
public sealed record PlanContext(
    CommitmentState State,
    HistoryEvent Event,
    SiteInfo Site,
    IReadOnlyDictionary<string, StaffInfo> Staff,
    DateTimeOffset Now)
{
    /// <summary>Replaces the event seq in text ids, for texts prepared before their event.</summary>
    public string? IdPrefix { get; init; }

    /// <summary>For the first text (null: links not configured).</summary>
    public string? StatusLink { get; init; }
}

/// <summary>Which texts an event causes. A new kind of text is a template in Templates.resx and a case here.</summary>
public static class TextPlanner
{
    /// <summary>How long a customer's first text waits for the handoff to be accepted (then it names the maker).</summary>
    public static readonly TimeSpan HandoffGrace = TimeSpan.FromMinutes(2);

    /// <summary>At most a third of the time to the deadline: a text promising "by 1:34 pm" must not arrive at 1:34.</summary>
    public static TimeSpan HandoffWait(DateTimeOffset now, DateTimeOffset dueAt) =>
        TimeSpan.FromTicks(Math.Clamp((dueAt - now).Ticks / 3, 0, HandoffGrace.Ticks));

    public static void Plan(PlanContext c)
    {
        var e = c.Event;
        var d = e.Read();
        var s = c.State;
        switch (e.Type)
        {
            case EventTypes.Created:
                ToCustomer(c, TextKinds.CustomerCreated, awaitsHandoff: false);
                break;

            case EventTypes.HandoffProposed:
                if (e.Seq == 2 && s.History[0].Type == EventTypes.Created)
                {
                    // Waits to name whoever really does it.
                    foreach (var waiting in s.Texts.Where(t => t.Kind == TextKinds.CustomerCreated && t.IsOpen))
                    {
                        waiting.AwaitsHandoff = true;
                        waiting.NotBefore = c.Now + HandoffWait(c.Now, s.DueAt);
                    }
                }

                ToStaff(c, TextKinds.HandoffOffered, d.To!, "recipient");
                break;

            case EventTypes.HandoffAccepted:
                if (!ReleaseWaitingCreated(c))
                {
                    ToCustomer(c, TextKinds.CustomerHandoffAccepted);
                }

                if (d.OfferedBy is { } proposer && proposer != s.Owner)
                {
                    ToStaff(c, TextKinds.ProposerHandoffAccepted, proposer, "proposer");
                }

                break;

            case EventTypes.HandoffDeclined:
                ReleaseWaitingCreated(c);
                foreach (var person in new[] { d.OfferedBy!, s.Owner }.Distinct())
                {
                    ToStaff(c, TextKinds.HandoffDeclined, person, person == s.Owner ? "owner" : "proposer");
                }

                break;

            case EventTypes.HandoffWithdrawn:
                ReleaseWaitingCreated(c);
                break;

            case EventTypes.Rescheduled:
                ToCustomer(c, TextKinds.CustomerRescheduled);
                if (e.Actor.Id != s.Owner)
                {
                    ToStaff(c, TextKinds.OwnerRescheduled, s.Owner, "owner");
                }

                break;

            case EventTypes.Completed:
                SkipWaiting(c, "the promise was completed first");
                // Waits out the undo window: an undone done is never texted.
                ToCustomer(c, TextKinds.CustomerCompleted, notBefore: AfterQuietHours(c.Now + CommitmentGrain.UndoWindow, c.Site));
                break;

            case EventTypes.Reopened when d.Undo:
                SkipWaiting(c, "the done was undone");
                break;

            case EventTypes.Cancelled:
                SkipWaiting(c, "the promise was cancelled");
                ToCustomer(c, TextKinds.CustomerCancelled);
                break;

            // A reply that reopened the promise is covered by the reopening text, not forwarded as well.
            case EventTypes.CustomerReplied
                when !s.History.Any(h => h.Seq == e.Seq + 1 && h.Type == EventTypes.Reopened && h.Actor.Kind == Actor.CustomerKind):
                ToStaff(c, TextKinds.CustomerReplied, s.Owner, "owner");
                break;

            case EventTypes.Reminded or EventTypes.Escalated or EventTypes.HandoffStalled when d.HasTexted:
                var kind = e.Type switch
                {
                    EventTypes.Reminded => TextKinds.Reminder,
                    EventTypes.Escalated => TextKinds.Overdue,
                    _ => TextKinds.HandoffStalled,
                };
                foreach (var person in d.Texted)
                {
                    ToStaff(c, kind, person, person == s.Owner ? "owner" : "escalation");
                }

                break;

            case EventTypes.Apologized when d.Skipped is null:
                ToCustomer(c, TextKinds.Apology);
                break;

            case EventTypes.Reopened when e.Actor.Kind == Actor.CustomerKind:
                ToStaff(c, TextKinds.CustomerReopened, s.Owner, "owner");
                foreach (var manager in c.Staff.Values.Where(m => m.IsManager && m.Active && m.Id != s.Owner))
                {
                    ToStaff(c, TextKinds.CustomerReopened, manager.Id, "manager");
                }

                break;
        }
    }

    /// <summary>The body of a text, in its language, from the promise as it is now.</summary>
    public static string Render(OutboundText text, CommitmentState s, SiteInfo site, IReadOnlyDictionary<string, StaffInfo> staff, DateTimeOffset now)
    {
        var owner = staff.GetValueOrDefault(s.Owner);
        var teamName = site.Teams.FirstOrDefault(t => t.Id == owner?.Team)?.Name ?? owner?.Team ?? "";
        var customer = s.Customer!;
        var values = new Dictionary<string, string>(text.Values)
        {
            ["site"] = TextTemplates.Name(site.Name),
            ["what"] = TextTemplates.Squash(s.What),
            ["due"] = TextTemplates.When(s.DueAt, now, site.Zone, text.Language),
            ["owner"] = TextTemplates.Name(owner?.Name ?? s.Owner),
            ["team"] = TextTemplates.Name(teamName),
            ["code"] = s.ReplyCode ?? "",
            ["customer"] = customer.Room is null
                ? TextTemplates.Name(customer.Name)
                : TextTemplates.Raw("Room", text.Language).Replace("{customer}", TextTemplates.Name(customer.Name)).Replace("{room}", customer.Room),
        };
        // Older first texts have no link value: sent without one.
        values.TryAdd("link", "");
        if (text.BundleCodes is { Count: > 1 } codes)
        {
            const int listed = 10;
            values["count"] = codes.Count.ToString(CultureInfo.InvariantCulture);
            values["codes"] = string.Join(", ", codes.Take(listed)) + (codes.Count > listed ? " …" : "");
            return TextTemplates.Render("Bundle", text.Language, values, "codes");
        }

        var key = text.Kind switch
        {
            TextKinds.CustomerCreated => "CustomerCreated",
            TextKinds.HandoffOffered => "HandoffOffered",
            TextKinds.CustomerHandoffAccepted => "CustomerHandoffAccepted",
            TextKinds.ProposerHandoffAccepted => "ProposerHandoffAccepted",
            TextKinds.HandoffDeclined => "HandoffDeclined",
            TextKinds.CustomerRescheduled => "CustomerRescheduled",
            TextKinds.OwnerRescheduled => "OwnerRescheduled",
            TextKinds.CustomerCompleted => "CustomerCompleted",
            TextKinds.CustomerCancelled => "CustomerCancelled",
            TextKinds.CustomerReplied => "CustomerReplied",
            TextKinds.CustomerReopened => "CustomerReopened",
            TextKinds.Reminder => "Reminder",
            TextKinds.Overdue => "Overdue",
            TextKinds.Apology => "Apology",
            TextKinds.HandoffStalled => "HandoffStalled",
            _ => throw new InvalidOperationException($"No template for text kind '{text.Kind}'."),
        };
        return TextTemplates.Render(key, text.Language, values, "reply", "note", "reason", "what");
    }

    private static void ToCustomer(PlanContext c, string kind, bool awaitsHandoff = false, DateTimeOffset? notBefore = null)
    {
        var customer = c.State.Customer;
        if (customer is not { SmsConsent: true, Mobile: { } mobile })
        {
            return;
        }

        Add(c, kind, "customer", null, mobile, TextTemplates.Pick(customer.Language, c.Site.Language), notBefore ?? c.Now, awaitsHandoff);
    }

    private static void ToStaff(PlanContext c, string kind, string staffId, string role)
    {
        if (!c.Staff.TryGetValue(staffId, out var person) || !person.Active)
        {
            return;
        }

        Add(c, kind, role, staffId, person.Mobile, TextTemplates.DefaultLanguage, c.Now, awaitsHandoff: false);
    }

    private static void Add(
        PlanContext c, string kind, string role, string? staffId, string to, string language, DateTimeOffset notBefore, bool awaitsHandoff)
    {
        var e = c.Event;
        var id = $"{c.IdPrefix ?? e.Seq.ToString(CultureInfo.InvariantCulture)}:{kind}:{staffId ?? role}";
        if (c.State.Texts.Any(t => t.Id == id))
        {
            return;
        }

        var values = new Dictionary<string, string>();
        if (kind == TextKinds.CustomerCreated)
        {
            values["link"] = c.StatusLink is { } url ? TextTemplates.Raw("StatusLink", language).Replace("{url}", url) : "";
        }

        var actor = c.Staff.GetValueOrDefault(e.Actor.Id);
        values["actor"] = TextTemplates.Name(actor?.Name ?? e.Actor.Id);
        values["from"] = values["actor"];
        var d = e.Read();
        if (d.To is { } recipient)
        {
            values["recipient"] = TextTemplates.Name(c.Staff.GetValueOrDefault(recipient)?.Name ?? recipient);
        }

        Put("late", d.LateMinutes?.ToString(CultureInfo.InvariantCulture));
        Put("ago", d.MinutesAgo?.ToString(CultureInfo.InvariantCulture));
        Put("reason", d.Reason is { } reason ? TextTemplates.Squash(reason) : null);
        Put("reply", d.Message is { } message ? TextTemplates.Squash(message) : null);
        values["note"] = d.Note is { } note && kind == TextKinds.HandoffOffered
            ? TextTemplates.Raw("Note", language).Replace("{note}", TextTemplates.Squash(note))
            : "";

        var text = new OutboundText
        {
            Id = id,
            EventSeq = e.Seq,
            Kind = kind,
            RecipientRole = role,
            StaffId = staffId,
            To = to,
            Language = language,
            Values = values,
            Stage = TextStage.Waiting,
            NotBefore = notBefore,
            AwaitsHandoff = awaitsHandoff,
            CreatedAt = c.Now,
            UpdatedAt = c.Now,
        };
        c.State.Texts.Add(text);

        void Put(string key, string? value)
        {
            if (value is not null)
            {
                values[key] = value;
            }
        }
    }

    /// <summary>The customer's first text stops waiting once the handoff is settled; true if there was one.</summary>
    private static bool ReleaseWaitingCreated(PlanContext c)
    {
        var released = false;
        foreach (var waiting in c.State.Texts.Where(t => t.AwaitsHandoff && t.Stage == TextStage.Waiting))
        {
            waiting.AwaitsHandoff = false;
            waiting.NotBefore = c.Now;
            waiting.UpdatedAt = c.Now;
            released = true;
        }

        return released;
    }

    private static void SkipWaiting(PlanContext c, string reason)
    {
        foreach (var waiting in c.State.Texts.Where(t => t.Stage == TextStage.Waiting && t.RecipientRole == "customer"))
        {
            TextAttempts.Skip(waiting, reason, c.Now);
        }
    }

    /// <summary>Now, or the end of the site's quiet hours (default 22:00–08:00).</summary>
    public static DateTimeOffset AfterQuietHours(DateTimeOffset now, SiteInfo site)
    {
        var from = site.QuietFrom ?? SiteInfo.DefaultQuietFrom;
        var until = site.QuietUntil ?? SiteInfo.DefaultQuietUntil;
        var zone = site.Zone;
        var local = TimeZoneInfo.ConvertTime(now, zone);
        var time = TimeOnly.FromDateTime(local.DateTime);
        var quiet = from > until ? time >= from || time < until : time >= from && time < until;
        if (from == until || !quiet)
        {
            return now;
        }

        var day = time >= until ? local.Date.AddDays(1) : local.Date;
        var end = day + until.ToTimeSpan();
        var offset = zone.IsInvalidTime(end) ? zone.GetUtcOffset(end.AddHours(1)) : zone.GetUtcOffset(end);
        return new DateTimeOffset(end, offset);
    }
}
