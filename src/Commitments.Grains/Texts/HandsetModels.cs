namespace Commitments.Grains.Texts;

/// <summary>A text we sent to a phone, remembered so a reply can find what it is about.</summary>
[GenerateSerializer, Immutable, Alias("commitments.handset-text")]
public sealed record HandsetText(
    [property: Id(0)] string Site,
    [property: Id(1)] Guid CommitmentId,
    [property: Id(2)] string Kind,
    [property: Id(3)] string? StaffId,
    [property: Id(4)] string? Code,
    [property: Id(5)] DateTimeOffset At);

[GenerateSerializer, Immutable, Alias("commitments.inbound-text")]
public sealed record InboundText([property: Id(0)] string MessageSid, [property: Id(1)] string Body);

/// <summary>What to answer (null: nothing) and what happened, for logs and tests.</summary>
[GenerateSerializer, Immutable, Alias("commitments.inbound-reply")]
public sealed record InboundReply([property: Id(0)] string? Message, [property: Id(1)] string Outcome);

[GenerateSerializer, Alias("commitments.staff-ref")]
public sealed record StaffRef([property: Id(0)] string Site, [property: Id(1)] string StaffId);

/// <summary>
/// A site's pending request that this phone prove it is its person's (code kept as a keyed hash).
/// </summary>
[GenerateSerializer, Alias("commitments.pending-verification")]
public sealed class PendingVerification
{
    [Id(0)] public string Site { get; set; } = "";
    [Id(1)] public string StaffId { get; set; } = "";
    [Id(2)] public string CodeHash { get; set; } = "";
    [Id(3)] public DateTimeOffset ExpiresAt { get; set; }
    [Id(4)] public string SiteName { get; set; } = "";
    [Id(5)] public string StaffName { get; set; } = "";
    [Id(6)] public int WrongCodes { get; set; }
}

/// <summary>What a site asks of a phone it texts a verification code to.</summary>
[GenerateSerializer, Immutable, Alias("commitments.verification-request")]
public sealed record VerificationRequest(
    [property: Id(0)] string Site,
    [property: Id(1)] string StaffId,
    [property: Id(2)] string CodeHash,
    [property: Id(3)] DateTimeOffset ExpiresAt,
    [property: Id(4)] string SiteName,
    [property: Id(5)] string StaffName);

[GenerateSerializer, Alias("commitments.handset-state")]
public sealed class HandsetState
{
    [Id(0)] public bool OptedOut { get; set; }
    [Id(1)] public DateTimeOffset? OptedOutAt { get; set; }
    [Id(2)] public List<HandsetText> Recent { get; set; } = [];
    [Id(3)] public List<StaffRef> Staff { get; set; } = [];
    [Id(4)] public int PassiveReplies { get; set; }
    /// <summary>Inbound MessageSids already handled, with the answer given (Twilio retries webhooks).</summary>
    [Id(5)] public Dictionary<string, string?> Handled { get; set; } = [];
    [Id(6)] public List<string> HandledOrder { get; set; } = [];
    /// <summary>Until the phone answers VERIFY and the code it does not act as that person.</summary>
    [Id(7)] public List<PendingVerification> Pending { get; set; } = [];
}
