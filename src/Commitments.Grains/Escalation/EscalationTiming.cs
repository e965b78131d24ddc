namespace Commitments.Grains.Escalation;

/// <summary>The promise's escalation moments that callers and tests rely on.</summary>
public static class EscalationTiming
{
    /// <summary>How far apart two processes' clocks may be: a step due this close after an activation began is looked up too.</summary>
    public static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(2);

    /// <summary>
    /// After a prepared step's texts went: how long its event (and the texts' outcomes) wait to be
    /// written, so a burst's sends never queue behind a burst of writes. A crash in between leaves the
    /// step due, and the next activation looks its texts up at Twilio before any resend.
    /// </summary>
    public static readonly TimeSpan AdoptAfter = TimeSpan.FromSeconds(2);

    /// <summary>How long a sent step's write waits, at most, for its texts' outcomes from the dispatcher.</summary>
    public static readonly TimeSpan AdoptWaitsForOutcomes = TimeSpan.FromSeconds(10);

    /// <summary>How soon a step whose write failed is tried again by this activation, before the reconcile pass (each minute) takes it.</summary>
    public static readonly TimeSpan[] WriteRetryDelays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(15)];

    /// <summary>A step taken later than this after its moment says so in its history entry, with the reason.</summary>
    public static readonly TimeSpan LateNoteAfter = TimeSpan.FromSeconds(2);
}
