namespace Commitments.Grains.Escalation;

/// <summary>
/// Wakes a promise at its next escalation moment. The host implements it with Hangfire; the
/// promise keeps the job's id in its state and asks for a new job whenever its plan moves. A job
/// only calls <see cref="Commitments.ICommitmentGrain.EscalateAt"/>: the grain decides, so a
/// job that runs twice, late, or for a plan that changed does nothing wrong.
/// </summary>
public interface IEscalationScheduler
{
    /// <summary>Schedules a wake-up for the promise at <paramref name="at"/> (or a little before); returns the job's id.</summary>
    Task<string> ScheduleAsync(string commitmentKey, DateTimeOffset at);

    /// <summary>
    /// As <see cref="ScheduleAsync"/>, for bulk work (the jobs a restart lost, put back from the index),
    /// behind promises' own requests so it never delays them.
    /// </summary>
    Task<string> ScheduleInBackgroundAsync(string commitmentKey, DateTimeOffset at) => ScheduleAsync(commitmentKey, at);

    /// <summary>Removes a job that no longer applies (not awaited by the promise); a job that is already gone is fine.</summary>
    void Delete(string jobId);
}
