namespace Commitments.Grains.Escalation;

/// <summary>The promise's escalation moments that callers and tests rely on.</summary>
public static class EscalationTiming
{
    /// <summary>Allowed clock skew between processes: a step due this soon after activation is looked up too.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// How long a sent step's write waits, so a burst's sends never queue behind its writes. A crash in between leaves the
    /// step due, and the next activation looks its texts up at Twilio before any resend.
    /// </summary>
    public static readonly TimeSpan AdoptAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long a sent step's write waits, at most, for its texts' outcomes from the dispatcher.</summary>
    public static readonly TimeSpan AdoptWaitsForOutcomes = TimeSpan.FromSeconds(10);

    /// <summary>Retry delay for a failed step write, ahead of the reconcile pass (each minute).</summary>
    public static readonly TimeSpan[] WriteRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>A step later than this notes the delay and its reason in its history entry.</summary>
    public static readonly TimeSpan LateNoteAfter = TimeSpan.FromSeconds(2);
}
