using Hangfire;

namespace Commitments.Host.Escalation;

/// <summary>Whether a promise's Hangfire job is still going to wake it.</summary>
internal static class JobLiveness
{
    /// <param name="storage">Hangfire's storage.</param>
    /// <param name="jobId">The job the promise keeps.</param>
    /// <param name="wokenUntil">A job that already ran counts as live until then: it woke the promise early, which now waits on its own timer.</param>
    /// <param name="now">The time now.</param>
    /// <param name="since">
    /// When this process started. With a storage that outlives the process (Redis), a job that ran or was
    /// taken by a worker before then woke an activation that is gone with its process: not live. (A job
    /// another host is running counts as dead too when it started before this one; the promise then
    /// hears from both, and decides once.)
    /// </param>
    public static bool IsLive(JobStorage storage, string? jobId, DateTimeOffset? wokenUntil, DateTimeOffset? now, DateTimeOffset since)
    {
        if (jobId is null)
        {
            return false;
        }

        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId);
        return state?.Name switch
        {
            "Scheduled" or "Enqueued" or "Awaiting" => true,
            "Processing" => At(state, "StartedAt") >= since,
            "Succeeded" => wokenUntil > now && At(state, "SucceededAt") >= since,
            _ => false,
        };
    }

    private static DateTimeOffset? At(Hangfire.Storage.StateData state, string key) =>
        state.Data?.TryGetValue(key, out var text) == true && Hangfire.Common.JobHelper.DeserializeNullableDateTime(text) is { } at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : null;
}

/// <summary>
/// Calls a promise that decides for itself (safe to call again) through the death of the silo it
/// lived on: until membership declares that silo dead (seconds), calls to the promise fail or hang;
/// they go again every moment, so the step is late by the failure's detection, not by retry delays.
/// </summary>
internal static class SiloLoss
{
    /// <summary>How long to keep trying before the failure goes to the caller.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take when the caller bounds it (an escalation step is a few milliseconds of work).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task CallAsync(Func<Task> call, TimeProvider time, TimeSpan? attemptTimeout = null, CancellationToken cancellationToken = default)
    {
        var giveUp = time.GetUtcNow() + Patience;
        while (true)
        {
            try
            {
                var attempt = call();
                await (attemptTimeout is { } timeout ? attempt.WaitAsync(timeout, time, cancellationToken) : attempt.WaitAsync(cancellationToken));
                return;
            }
            catch (Exception ex) when (ex is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException && time.GetUtcNow() < giveUp)
            {
                await Task.Delay(Pause, time, cancellationToken);
            }
        }
    }
}
