using Hangfire;

namespace Commitments.Host.Escalation;

/// <summary>How escalation runs (section "Escalation").</summary>
public sealed class EscalationOptions
{
    /// <summary>
    /// How early a job fires before its step's moment (default 10 s). The promise then prepares the
    /// step (its texts' attempts recorded) and waits for the exact moment itself, so a burst due at
    /// one instant is prepared over this lead instead of queueing behind Hangfire's polling and
    /// storage writes. Hangfire keeps scheduled moments in whole seconds, so this is at least 2 s.
    /// </summary>
    public TimeSpan JobLead { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reconcile pass runs besides start-up (default every minute; Hangfire's cron is per minute at best).</summary>
    public string ReconcileCron { get; set; } = Cron.Minutely();

    /// <summary>A step this late with its job not done is taken by the reconcile pass (default 10 s).</summary>
    public TimeSpan ReconcileGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Threads that call Hangfire's client to schedule jobs (default: 1 with in-memory job storage, which
    /// runs every call on one thread of its own anyway; 4 with Redis, whose calls wait on the network).
    /// </summary>
    public int? SchedulerThreads { get; set; }
}
