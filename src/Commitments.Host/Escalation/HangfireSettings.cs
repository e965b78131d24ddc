
namespace Commitments.Host.Escalation;

/// <summary>Hangfire's storage and server (section "Hangfire").</summary>
public sealed class HangfireSettings
{
    /// <summary>"inmemory" (default; lost on a crash, the reconcile pass covers that) or "redis".</summary>
    public string Storage { get; set; } = "inmemory";

    /// <summary>The StackExchange.Redis connection string, for Storage = redis.</summary>
    public string? Redis { get; set; }

    /// <summary>How often scheduled jobs are moved to the queue (default 1 s; jobs fire <see cref="EscalationOptions.JobLead"/> early).</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Jobs run at once (default 20): escalation jobs are short grain calls.</summary>
    public int WorkerCount { get; set; } = 20;

    /// <summary>The only people ("site/staff") who see the dashboard, which shows every site's jobs; no manager unless named.</summary>
    public List<string> Operators { get; set; } = [];
}
