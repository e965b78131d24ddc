using Commitments.Grains.Commitments;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Escalation;

/// <summary>Keeps exactly one job that wakes the promise at its next escalation step (its id is stored with the promise).</summary>
internal sealed partial class EscalationJobPlan(
    IPromise promise, StepPlanner planner, EscalationTimers timers, IEscalationScheduler? scheduler, ILogger logger)
{
    private EscalationState Escalation => promise.State.Escalation;

    /// <summary>
    /// Never planned, a different next moment, no job, or the job's moment passed with its step pending (that job is spent).
    /// </summary>
    public bool OutOfDate(DateTimeOffset? next)
    {
        var e = Escalation;
        return scheduler is not null
            && (!e.Planned || next != e.JobAt
                || (next is not null && (e.JobId is null || (next <= promise.Now && timers.WaitingFor != next))));
    }

    /// <summary>Before a write: schedules the job the plan needs. Returns the replaced job, to delete once the write is stored.</summary>
    public async Task<string?> PlanAsync()
    {
        if (scheduler is null)
        {
            return null;
        }

        DateTimeOffset? next = null;
        if (promise.State.Status == CommitmentStatus.Open)
        {
            next = planner.NextStepAt(await planner.OwnerPolicyAsync());
        }

        if (!OutOfDate(next))
        {
            return null;
        }

        var e = Escalation;
        // A job whose moment has come is the one running now (or it ran): nothing to delete.
        var obsolete = e.JobAt > promise.Now ? e.JobId : null;
        e.JobId = next is { } at ? await scheduler.ScheduleAsync(promise.Key, at) : null;
        e.JobAt = next;
        e.Planned = true;
        return obsolete;
    }

    /// <summary>After the write: the job it replaced goes (a stale job only wakes the promise for nothing).</summary>
    public void Delete(string? jobId)
    {
        if (jobId is null || scheduler is null)
        {
            return;
        }

        try
        {
            scheduler.Delete(jobId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogJobDeleteFailed(logger, ex, promise.State.Id);
        }
    }

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Deleting an old escalation job of promise {CommitmentId} failed; it will wake the promise for nothing")]
    private static partial void LogJobDeleteFailed(ILogger logger, Exception exception, Guid commitmentId);
}
