namespace Commitments.Twilio;

/// <summary>What to do about a failed Twilio call.</summary>
public enum TwilioFailureKind
{
    /// <summary>Twilio did not take it (429/20429): retry with backoff and jitter.</summary>
    Throttled = 0,
    /// <summary>5xx, timeout or broken connection: the message may exist; look it up before retrying.</summary>
    Unknown = 1,
    /// <summary>The sender's queue is full (21611): retry later, slower.</summary>
    SlowDown = 2,
    /// <summary>The recipient opted out (21610): never send to them until they opt in.</summary>
    OptedOut = 3,
    /// <summary>Will never work as it is (bad number, auth, body…): give up and say why.</summary>
    Permanent = 4,
}

/// <summary>A Twilio call without a usable message; <see cref="Kind"/> says what to do next.</summary>
public sealed class TwilioException(TwilioFailureKind kind, int? status, int? code, string message, Exception? inner = null)
    : Exception(message, inner)
{
    public TwilioFailureKind Kind { get; } = kind;

    /// <summary>The HTTP status; null without a response.</summary>
    public int? Status { get; } = status;

    /// <summary>Twilio's error code (e.g. 21211), when it gave one.</summary>
    public int? Code { get; } = code;

    /// <summary>
    /// §1's table. A 4xx with a Twilio error code is a permanent no; one without (a 408, a proxy's HTML page)
    /// created nothing, so it is retried like a 429.
    /// </summary>
    public static TwilioFailureKind Classify(int status, int? code) => (status, code) switch
    {
        (_, 20429) or (429, _) => TwilioFailureKind.Throttled,
        (_, 21610) => TwilioFailureKind.OptedOut,
        (_, 21611) => TwilioFailureKind.SlowDown,
        ( >= 500, _) => TwilioFailureKind.Unknown,
        (401 or 403, _) => TwilioFailureKind.Permanent,
        ( >= 400, null) => TwilioFailureKind.Throttled,
        _ => TwilioFailureKind.Permanent,
    };
}
