using System.ComponentModel;
using Commitments.Grains.Commitments;
using Commitments.Grains.Escalation;
using Hangfire;
using Microsoft.Extensions.Options;

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
}

/// <summary>Schedules a promise's next escalation moment as a Hangfire job, a little early (see <see cref="EscalationOptions.JobLead"/>).</summary>
internal sealed class HangfireEscalationScheduler(IBackgroundJobClient jobs, IOptions<EscalationOptions> options, TimeProvider time) : IEscalationScheduler
{
    public string Schedule(string commitmentKey, DateTimeOffset at)
    {
        var fireAt = at - options.Value.JobLead;
        return fireAt <= time.GetUtcNow()
            ? jobs.Enqueue<EscalationJobs>(j => j.Wake(commitmentKey, at))
            : jobs.Schedule<EscalationJobs>(j => j.Wake(commitmentKey, at), fireAt);
    }

    public void Delete(string jobId) => jobs.Delete(jobId);
}

/// <summary>
/// The jobs. Thin on purpose: they carry ids and a moment, and the promise grain decides; a job
/// run twice, late, or after the plan moved changes nothing.
/// </summary>
public sealed class EscalationJobs(IGrainFactory grains, EscalationReconciler reconciler)
{
    [DisplayName("Escalation step of {0} at {1:u}")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [1, 5, 15])]
    public Task Wake(string commitmentKey, DateTimeOffset at) =>
        grains.GetGrain<ICommitmentGrain>(commitmentKey).EscalateAt(at);

    [DisplayName("Reconcile escalations with the promises")]
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public Task Reconcile(CancellationToken cancellationToken) => reconciler.RunAsync(cancellationToken);
}

/// <summary>Whether a Hangfire job is still going to run.</summary>
internal static class JobLiveness
{
    public static bool IsLive(JobStorage storage, string? jobId)
    {
        if (jobId is null)
        {
            return false;
        }

        using var connection = storage.GetConnection();
        var state = connection.GetJobData(jobId)?.State;
        return state is "Scheduled" or "Enqueued" or "Processing" or "Awaiting";
    }
}
