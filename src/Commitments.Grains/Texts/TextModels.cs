namespace Commitments.Grains.Texts;

/// <summary>The kinds of text; each is a template and a trigger (see <see cref="TextPlanner"/>).</summary>
public static class TextKinds
{
    public const string CustomerCreated = "customer-created";
    public const string HandoffOffered = "handoff-offered";
    public const string CustomerHandoffAccepted = "customer-handoff-accepted";
    public const string ProposerHandoffAccepted = "proposer-handoff-accepted";
    public const string HandoffDeclined = "handoff-declined";
    public const string CustomerRescheduled = "customer-rescheduled";
    public const string OwnerRescheduled = "owner-rescheduled";
    public const string CustomerCompleted = "customer-completed";
    public const string CustomerCancelled = "customer-cancelled";
    public const string CustomerReplied = "customer-replied";
    public const string CustomerReopened = "customer-reopened";
    public const string Reminder = "reminder";
    public const string Overdue = "overdue";
    public const string Apology = "apology";
    public const string HandoffStalled = "handoff-stalled";
    /// <summary>A site's code to a staff mobile a manager set (see <c>StaffPhones</c>).</summary>
    public const string StaffVerify = "staff-verify";
}

/// <summary>Where a text is in our pipeline; Twilio's own status is kept beside it.</summary>
[GenerateSerializer, Alias("commitments.text-stage")]
public enum TextStage
{
    /// <summary>Not to go before <see cref="OutboundText.NotBefore"/> (quiet hours, waiting for a handoff).</summary>
    Waiting = 0,
    /// <summary>An attempt was recorded; Twilio may or may not have it (look it up before sending again).</summary>
    Attempting = 1,
    /// <summary>Twilio accepted it (it has a MessageSid); callbacks and polls move its status on.</summary>
    Submitted = 2,
    /// <summary>Given up: Twilio refused it for good, or it kept failing. The reason says why.</summary>
    Failed = 3,
    /// <summary>Not sent on purpose: opted out, no longer relevant, or a newer text went out first.</summary>
    Skipped = 4,
    /// <summary>Held by the per-person escalation limit until <see cref="OutboundText.NotBefore"/>.</summary>
    Held = 5,
    /// <summary>Went out inside another promise's text (a bundle listing the codes).</summary>
    Bundled = 6,
}

/// <summary>
/// A text recorded in the same write as its event; the id "{event seq}:{kind}:{recipient}" means an event never sends it twice.
/// </summary>
[GenerateSerializer, Alias("commitments.outbound-text")]
public sealed class OutboundText
{
    [Id(0)] public string Id { get; set; } = "";
    [Id(1)] public int EventSeq { get; set; }
    [Id(2)] public string Kind { get; set; } = "";
    /// <summary>"customer", or the staff member's role toward the promise: owner, proposer, recipient, manager.</summary>
    [Id(3)] public string RecipientRole { get; set; } = "";
    [Id(4)] public string? StaffId { get; set; }
    [Id(5)] public string To { get; set; } = "";
    [Id(6)] public string Language { get; set; } = TextTemplates.DefaultLanguage;
    /// <summary>Rendered when the text is released, so a text that waited names who is responsible then.</summary>
    [Id(7)] public string? Body { get; set; }
    [Id(8)] public Dictionary<string, string> Values { get; set; } = [];
    [Id(9)] public TextStage Stage { get; set; }
    [Id(10)] public DateTimeOffset NotBefore { get; set; }
    [Id(11)] public DateTimeOffset? AttemptStartedAt { get; set; }
    [Id(12)] public string? AttemptBy { get; set; }
    [Id(13)] public int Attempts { get; set; }
    [Id(14)] public string? MessageSid { get; set; }
    /// <summary>Twilio's status, never lowered (§2 ranks).</summary>
    [Id(15)] public string? Status { get; set; }
    [Id(16)] public int? ErrorCode { get; set; }
    [Id(17)] public string? Reason { get; set; }
    [Id(18)] public DateTimeOffset CreatedAt { get; set; }
    [Id(19)] public DateTimeOffset? SentAt { get; set; }
    [Id(20)] public DateTimeOffset UpdatedAt { get; set; }
    /// <summary>Waiting on a handoff: released early when it is accepted, declined or withdrawn.</summary>
    [Id(21)] public bool AwaitsHandoff { get; set; }
    /// <summary>How many times its status was fetched because callbacks stopped coming.</summary>
    [Id(22)] public int Polls { get; set; }
    /// <summary>When this text also carries held escalation texts: the codes it lists (its own first).</summary>
    [Id(23)] public List<string>? BundleCodes { get; set; }

    /// <summary>When the dispatcher should next look at it: to send, or to poll a status stuck below final.</summary>
    public DateTimeOffset? NextWorkAt => Stage switch
    {
        TextStage.Waiting or TextStage.Attempting => NotBefore,
        TextStage.Submitted when !TextStatus.IsFinal(Status) && Polls < PollDelays.Length => UpdatedAt + PollDelays[Polls],
        _ => null,
    };

    /// <summary>Polls of a stuck status, then left alone (many texts stay "sent").</summary>
    public static readonly TimeSpan[] PollDelays = [TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2)];

    public bool IsOpen => Stage is TextStage.Waiting or TextStage.Attempting;
}

/// <summary>A text as the promise view shows it: masked number, no body.</summary>
[GenerateSerializer, Immutable, Alias("commitments.text-view")]
public sealed record TextView(
    [property: Id(0)] string Id,
    [property: Id(1)] string To,
    [property: Id(2)] string RecipientRole,
    [property: Id(3)] string Kind,
    [property: Id(4)] string Status,
    [property: Id(5)] int? ErrorCode,
    [property: Id(6)] string? Reason,
    [property: Id(7)] DateTimeOffset? SentAt,
    [property: Id(8)] DateTimeOffset UpdatedAt,
    // The staff member texted (null: the customer).
    [property: Id(9)] string? StaffId = null);

/// <summary>What the dispatcher needs to send one text; null from the grain means "not now".</summary>
[GenerateSerializer, Immutable, Alias("commitments.text-to-send")]
public sealed record TextToSend(
    [property: Id(0)] string Site,
    [property: Id(1)] Guid CommitmentId,
    [property: Id(2)] string TextId,
    [property: Id(3)] string To,
    [property: Id(4)] string Body,
    // Set when an earlier attempt's outcome is unknown: look for it at Twilio before sending.
    [property: Id(5)] DateTimeOffset? LookUpSince,
    // SIDs of this promise's other texts: a look-up must never take one of them for this text.
    [property: Id(6)] IReadOnlyList<string> KnownSids);

/// <summary>How a send attempt ended, as the dispatcher reports it to the grain.</summary>
[GenerateSerializer, Immutable, Alias("commitments.send-outcome")]
public sealed record SendOutcome(
    [property: Id(0)] string? MessageSid,
    [property: Id(1)] string? Status,
    [property: Id(2)] int? ErrorCode,
    [property: Id(3)] string? Reason,
    // True when it will never succeed as it is; false leaves it for another try.
    [property: Id(4)] bool Final,
    [property: Id(5)] bool OptedOut = false);

/// <summary>The dispatcher of the promise's silo, so responsibility for sending moves with the promise.</summary>
public interface ITextSignal
{
    void TextsReady(string site, Guid commitmentId);

    /// <summary>This silo's dispatcher, for attempts a promise records ahead of time.</summary>
    string DispatcherId { get; }

    /// <summary>
    /// A live silo's claim is not taken over while it lasts; a dead silo's text is looked up at Twilio, then sent.
    /// </summary>
    bool IsAlive(string dispatcherId) => dispatcherId == DispatcherId;

    /// <summary>
    /// Sends texts whose attempt is already recorded for <see cref="DispatcherId"/>, so no write stands between the moment and Twilio.
    /// </summary>
    void Send(IReadOnlyList<TextToSend> texts);
}

/// <summary>A text Twilio accepted whose status has not moved in a while: fetch it.</summary>
[GenerateSerializer, Immutable, Alias("commitments.text-poll")]
public sealed record TextPoll([property: Id(0)] string TextId, [property: Id(1)] string MessageSid);

/// <summary>What the dispatcher should do for one promise now.</summary>
[GenerateSerializer, Immutable, Alias("commitments.text-work")]
public sealed record TextWork([property: Id(0)] IReadOnlyList<TextToSend> Send, [property: Id(1)] IReadOnlyList<TextPoll> Poll)
{
    public static TextWork None { get; } = new([], []);
}

/// <summary>Twilio's message statuses ranked (spec §2): a text's status only ever moves up.</summary>
public static class TextStatus
{
    public static int Rank(string? status) => status switch
    {
        "accepted" or "scheduled" => 0,
        "queued" => 1,
        "sending" => 2,
        "sent" => 3,
        "delivered" or "undelivered" or "failed" or "canceled" or "partially_delivered" => 4,
        "read" => 5,
        _ => -1,
    };

    public static bool IsFinal(string? status) => Rank(status) >= 4;

    /// <summary>One word for where a text is: Twilio's status once it has one, else our stage.</summary>
    public static string Describe(OutboundText t) => t.Status ?? t.Stage switch
    {
        TextStage.Waiting => "waiting",
        TextStage.Attempting => "attempting",
        TextStage.Failed => "failed",
        TextStage.Skipped => "skipped",
        TextStage.Held => "held",
        TextStage.Bundled => "bundled",
        _ => "submitted",
    };

    /// <summary>What a delivery error means, in words a manager can act on.</summary>
    public static string Explain(int? code) => code switch
    {
        21211 => "The number is not a valid mobile number (21211).",
        21408 => "Texts to this country are not enabled on the account (21408).",
        21606 => "Our sending number cannot send SMS (21606).",
        21610 => "The recipient replied STOP and has opted out (21610).",
        21612 => "Twilio cannot route texts to this number (21612).",
        21614 => "The number is not a mobile phone (21614).",
        21617 => "The text is longer than 1,600 characters (21617).",
        20003 => "Twilio refused our credentials (20003): check the Twilio settings.",
        30001 => "The sender's queue overflowed (30001).",
        30002 => "The Twilio account is suspended (30002).",
        30003 => "The phone is unreachable or switched off (30003).",
        30004 => "The recipient blocked the message (30004).",
        30005 => "The number is unknown or no longer exists (30005).",
        30006 => "A landline or an unreachable carrier (30006).",
        30007 => "The carrier filtered the message as spam (30007).",
        30008 => "Delivery failed for an unknown reason (30008).",
        30036 => "The text expired before it could be delivered (30036).",
        null => "Delivery failed.",
        _ => $"Twilio reported error {code}.",
    };
}
