namespace Commitments.Grains.Escalation;

/// <summary>
/// Wakes a promise at its next escalation moment (Hangfire in the host). A job only calls
/// <see cref="Commitments.ICommitmentGrain.EscalateAt"/> and the grain decides, so a job run twice, late or stale is harmless.
/// </summary>
public interface IEscalationScheduler
{
    /// <summary>Schedules a wake-up for the promise at <paramref name="at"/> (or a little before); returns the job's id.</summary>
    Task<string> ScheduleAsync(string commitmentKey, DateTimeOffset at);

    /// <summary>As <see cref="ScheduleAsync"/> for bulk work (jobs a restart lost), queued behind promises' own requests.</summary>
    Task<string> ScheduleInBackgroundAsync(string commitmentKey, DateTimeOffset at) => ScheduleAsync(commitmentKey, at);

    /// <summary>Removes a job that no longer applies (not awaited); one already gone is fine.</summary>
    void Delete(string jobId);
}
