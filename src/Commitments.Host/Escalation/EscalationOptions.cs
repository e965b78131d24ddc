using Hangfire;

namespace Commitments.Host.Escalation;

/// <summary>How escalation runs (section "Escalation").</summary>
public sealed class EscalationOptions
{
    /// <summary>
    /// How early a job fires before its step's moment (default 10 s; at least 2 s, Hangfire keeps whole seconds).
    /// The promise prepares the step early and waits for the moment itself, so a burst does not queue behind Hangfire.
    /// </summary>
    public TimeSpan JobLead { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How early a reconcile pass wakes a promise whose job is gone (default 3 s; the job lead when shorter): ample to
    /// prepare a step even in a start-up's first seconds, and short enough that a job lead's worth of steps is not woken at once.
    /// </summary>
    public TimeSpan WakeAhead { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the reconcile pass runs besides start-up (default every minute, Hangfire's finest).</summary>
    public string ReconcileCron { get; set; } = Cron.Minutely();

    /// <summary>A step this late with its job not done is taken by the reconcile pass (default 10 s).</summary>
    public TimeSpan ReconcileGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Threads that schedule Hangfire jobs (default 1 in memory, which is single-threaded anyway; 4 with Redis).</summary>
    public int? SchedulerThreads { get; set; }
}
