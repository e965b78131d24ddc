using System.Globalization;

namespace Commitments.Grains.Commitments;

/// <summary>
/// The one place history detail keys live: stored and served (v1 API) as a string map, read via <see cref="HistoryDetails"/>.
/// </summary>
public static class EventDetails
{
    internal const string WhatKey = "what", OwnerKey = "owner", DueAtKey = "dueAt", CustomerKey = "customer";
    internal const string ToKey = "to", FromKey = "from", NoteKey = "note", OfferedByKey = "offeredBy", ReasonKey = "reason";
    internal const string OnTimeKey = "onTime", WithdrawnKey = "handoffWithdrawn", UndoKey = "undo", TextKey = "text", ViaKey = "via";
    internal const string RatingKey = "rating", ByKey = "by", LevelKey = "level", UntilKey = "until", TextedKey = "texted";
    internal const string SkippedKey = "skipped", LateKey = "late", RepeatKey = "repeat", AgoKey = "ago";
    internal const string DelayedKey = "delayedSeconds", DelayReasonKey = "delayReason";

    /// <summary>Where a customer's message came from when it was not a text.</summary>
    public const string StatusPage = "status-page";

    /// <summary>A moment as history stores it: UTC, to the second.</summary>
    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Typed reads of an event's details.</summary>
    public static HistoryDetails Read(this HistoryEvent e) => new(e.Details);

    public static Dictionary<string, string> Created(string what, string owner, DateTimeOffset dueAt, string customer) =>
        new() { [WhatKey] = what, [OwnerKey] = owner, [DueAtKey] = Iso(dueAt), [CustomerKey] = customer };

    public static Dictionary<string, string> HandoffProposed(string to, string from, string? note) =>
        With(new() { [ToKey] = to, [FromKey] = from }, NoteKey, note);

    public static Dictionary<string, string> HandoffWithdrawn(string to) => new() { [ToKey] = to };

    public static Dictionary<string, string> HandoffAccepted(string from, string to, string offeredBy) =>
        new() { [FromKey] = from, [ToKey] = to, [OfferedByKey] = offeredBy };

    public static Dictionary<string, string> HandoffDeclined(string to, string offeredBy, string owner, string reason) =>
        new() { [ToKey] = to, [OfferedByKey] = offeredBy, [OwnerKey] = owner, [ReasonKey] = reason };

    /// <summary><paramref name="withdrawnOffer"/>: the person whose pending offer closing the promise ended.</summary>
    public static Dictionary<string, string> Completed(bool onTime, DateTimeOffset dueAt, string? note, string? withdrawnOffer) =>
        With(With(new() { [OnTimeKey] = onTime ? "true" : "false", [DueAtKey] = Iso(dueAt) }, NoteKey, note), WithdrawnKey, withdrawnOffer);

    public static Dictionary<string, string> Cancelled(string reason, string? withdrawnOffer) =>
        With(new() { [ReasonKey] = reason }, WithdrawnKey, withdrawnOffer);

    public static Dictionary<string, string> Rescheduled(DateTimeOffset from, DateTimeOffset to, string reason) =>
        new() { [FromKey] = Iso(from), [ToKey] = Iso(to), [ReasonKey] = reason };

    public static Dictionary<string, string> Reopened(string owner, DateTimeOffset from, DateTimeOffset dueAt, string reason, bool undo) =>
        With(new() { [OwnerKey] = owner, [FromKey] = Iso(from), [DueAtKey] = Iso(dueAt), [ReasonKey] = reason }, UndoKey, undo ? "true" : null);

    public static Dictionary<string, string> NoteAdded(string text) => new() { [TextKey] = text };

    public static Dictionary<string, string> CustomerReplied(string text, bool viaStatusPage) =>
        With(new() { [TextKey] = text }, ViaKey, viaStatusPage ? StatusPage : null);

    public static Dictionary<string, string> Rated(int rating) => new() { [RatingKey] = Number(rating) };

    public static Dictionary<string, string> Acknowledged(string by, int level, DateTimeOffset until) =>
        new() { [ByKey] = by, [LevelKey] = Number(level), [UntilKey] = Iso(until) };

    /// <summary>An escalation step's people: those texted, or why nobody was.</summary>
    public static Dictionary<string, string> Reached(IReadOnlyCollection<string> texted, string nobodyReason) =>
        texted.Count > 0 ? new() { [TextedKey] = string.Join(',', texted) } : Skipped(nobodyReason);

    public static Dictionary<string, string> Skipped(string reason) => new() { [SkippedKey] = reason };

    public static Dictionary<string, string> Escalated(Dictionary<string, string> reached, int level, int lateMinutes, int? repeat) =>
        With(With(With(reached, LevelKey, Number(level)), LateKey, Number(lateMinutes)), RepeatKey, repeat is { } r ? Number(r) : null);

    public static Dictionary<string, string> HandoffStalled(Dictionary<string, string> reached, string to, int minutesAgo) =>
        With(With(reached, ToKey, to), AgoKey, Number(minutesAgo));

    public static Dictionary<string, string> Apologized(string owner) => new() { [OwnerKey] = owner };

    /// <summary>A step's numbers as at another moment (a Twilio look-up matches the words sent then).</summary>
    public static void Reword(Dictionary<string, string> details, int lateMinutes, int? minutesAgo)
    {
        if (details.ContainsKey(LateKey))
        {
            details[LateKey] = Number(lateMinutes);
        }

        if (details.ContainsKey(AgoKey) && minutesAgo is { } ago)
        {
            details[AgoKey] = Number(ago);
        }
    }

    /// <summary>A step taken late, with why.</summary>
    public static Dictionary<string, string> Delayed(IReadOnlyDictionary<string, string> details, TimeSpan delay, string reason) =>
        new(details) { [DelayedKey] = Number((int)Math.Round(delay.TotalSeconds)), [DelayReasonKey] = reason };

    private static string Number(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<string, string> With(Dictionary<string, string> details, string key, string? value)
    {
        if (value is not null)
        {
            details[key] = value;
        }

        return details;
    }
}

/// <summary>Typed reads of an event's details (see <see cref="EventDetails"/>); a missing key reads as null.</summary>
public readonly record struct HistoryDetails(IReadOnlyDictionary<string, string> Map)
{
    /// <summary>The person offered the promise, who accepted or declined it, or whom a stalled offer waits on.</summary>
    public string? To => Text(EventDetails.ToKey);

    /// <summary>Who offered it (proposed), or whose it was (accepted).</summary>
    public string? From => Text(EventDetails.FromKey);

    public string? OfferedBy => Text(EventDetails.OfferedByKey);

    public string? Owner => Text(EventDetails.OwnerKey);

    public string? Note => Text(EventDetails.NoteKey);

    public string? Reason => Text(EventDetails.ReasonKey);

    /// <summary>A note's text, or the customer's message.</summary>
    public string? Message => Text(EventDetails.TextKey);

    public string? AcknowledgedBy => Text(EventDetails.ByKey);

    /// <summary>Why an escalation step texted nobody.</summary>
    public string? Skipped => Text(EventDetails.SkippedKey);

    /// <summary>The pending offer closing the promise withdrew (its recipient).</summary>
    public string? WithdrawnOffer => Text(EventDetails.WithdrawnKey);

    public DateTimeOffset? DueAt => Time(EventDetails.DueAtKey);

    /// <summary>A reschedule's new deadline.</summary>
    public DateTimeOffset? NewDueAt => Time(EventDetails.ToKey);

    /// <summary>A reschedule's or reopening's previous deadline.</summary>
    public DateTimeOffset? OldDueAt => Time(EventDetails.FromKey);

    public DateTimeOffset? Until => Time(EventDetails.UntilKey);

    public bool Undo => Map.ContainsKey(EventDetails.UndoKey);

    public bool ViaStatusPage => Text(EventDetails.ViaKey) == EventDetails.StatusPage;

    public int? Rating => Int(EventDetails.RatingKey);

    public int? Level => Int(EventDetails.LevelKey);

    public int? LateMinutes => Int(EventDetails.LateKey);

    public int? MinutesAgo => Int(EventDetails.AgoKey);

    /// <summary>Whether the step texted anyone (else <see cref="Skipped"/> says why).</summary>
    public bool HasTexted => Map.ContainsKey(EventDetails.TextedKey);

    public IReadOnlyList<string> Texted =>
        Text(EventDetails.TextedKey)?.Split(',', StringSplitOptions.RemoveEmptyEntries) ?? [];

    private string? Text(string key) => Map.GetValueOrDefault(key);

    private DateTimeOffset? Time(string key) =>
        DateTimeOffset.TryParse(Text(key), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at) ? at : null;

    private int? Int(string key) => int.TryParse(Text(key), CultureInfo.InvariantCulture, out var n) ? n : null;
}
