using Hangfire;

namespace Commitments.Host.Escalation;

/// <summary>Whether a promise's Hangfire job is still going to wake it.</summary>
internal static class JobLiveness
{
    /// <summary>
    /// A job that ran stays live until <paramref name="wokenUntil"/> (the promise waits on its own timer). A job run or
    /// taken before <paramref name="since"/> (process start) woke an activation now gone: not live; the promise decides once.
    /// </summary>
    public static bool IsLive(
        JobStorage storage, string? jobId, DateTimeOffset? wokenUntil, DateTimeOffset? now, DateTimeOffset since)
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
        state.Data?.TryGetValue(key, out var text) == true
            && Hangfire.Common.JobHelper.DeserializeNullableDateTime(text) is { } at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : null;
}

/// <summary>
/// Calls a promise (safe to repeat) through the death of its silo: calls fail or hang until membership declares it dead,
/// so retrying every moment makes a step late only by the detection time.
/// </summary>
internal static class SiloLoss
{
    /// <summary>How long to keep trying before the failure goes to the caller.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    /// <summary>One attempt's bound when the caller sets one (a step is milliseconds of work).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task CallAsync(
        Func<Task> call, TimeProvider time, TimeSpan? attemptTimeout = null, CancellationToken cancellationToken = default)
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
            catch (Exception ex) when (ex is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException
                && time.GetUtcNow() < giveUp)
            {
                await Task.Delay(Pause, time, cancellationToken);
            }
        }
    }
}
