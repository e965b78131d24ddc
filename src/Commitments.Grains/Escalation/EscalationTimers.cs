using Commitments.Grains.Commitments;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Escalation;

/// <summary>
/// The promise's own timers: the last stretch before a step's moment, the write after prepared texts went, and a retry.
/// </summary>
internal sealed partial class EscalationTimers(IPromise promise, StepStaging staging, ILogger logger)
{
    private IGrainTimer? _wakeTimer;
    private IGrainTimer? _adoptTimer;
    private IGrainTimer? _retryTimer;
    private int _writeRetries;

    /// <summary>The moment this activation is waiting for on its own timer.</summary>
    public DateTimeOffset? WaitingFor { get; private set; }

    /// <summary>A write is pending on the timer after prepared texts went.</summary>
    public bool WriteSoonPending => _adoptTimer is not null;

    /// <summary>
    /// Jobs fire a little early so a burst is spread out, yet each step runs at its exact moment: it is prepared in memory and the
    /// rest waited here, leaving only the send. The job returns at once so Hangfire's workers never wait on storage.
    /// </summary>
    public async Task EscalateAt(DateTimeOffset at)
    {
        var wait = at - promise.Now;
        if (wait <= TimeSpan.Zero)
        {
            await promise.Escalate();
            return;
        }

        if (WaitingFor == at)
        {
            return;
        }

        _wakeTimer?.Dispose();
        WaitingFor = at;
        _wakeTimer = promise.StartTimer(async () =>
        {
            try
            {
                await staging.StageAsync(at);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Forget the half-prepared step; it is taken the usual way at its moment.
                LogStagingFailed(logger, ex, promise.State.Id);
                await promise.LoadAsync();
            }

            var left = at - promise.Now;
            if (left > TimeSpan.Zero)
            {
                Arm(at, left);
                return;
            }

            WaitingFor = null;
            await promise.Escalate();
        }, TimeSpan.Zero, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Writes <see cref="EscalationTiming.AdoptAfter"/> after texts went, off the burst, waiting a little for outcomes still
    /// in the dispatcher's hands so the step and its outcomes are one write.
    /// </summary>
    public void WriteSoon(DateTimeOffset handedAt)
    {
        _adoptTimer?.Dispose();
        _adoptTimer = promise.StartTimer(async () =>
        {
            if (staging.OutcomesPending() && promise.Now - handedAt < EscalationTiming.AdoptWaitsForOutcomes)
            {
                return;
            }

            StopWriteSoon();
            try
            {
                await EscalateOrRetryAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The reconcile pass runs it within a minute.
                LogWakeFailed(logger, ex, promise.State.Id);
            }
        }, EscalationTiming.AdoptAfter, EscalationTiming.AdoptAfter);
    }

    public void StopWriteSoon()
    {
        _adoptTimer?.Dispose();
        _adoptTimer = null;
    }

    private void Arm(DateTimeOffset at, TimeSpan wait)
    {
        _wakeTimer?.Dispose();
        WaitingFor = at;
        _wakeTimer = promise.StartTimer(async () =>
        {
            // Timers may fire a hair early: wait out the rest rather than find nothing due.
            var left = at - promise.Now;
            if (left > TimeSpan.Zero)
            {
                Arm(at, left + TimeSpan.FromMilliseconds(1));
                return;
            }

            WaitingFor = null;
            _wakeTimer?.Dispose();
            _wakeTimer = null;
            try
            {
                var handedAt = promise.Now;
                if (staging.HandOffStaged(handedAt))
                {
                    // The event is written a moment later, off the burst, with the texts' outcomes.
                    WriteSoon(handedAt);
                    return;
                }

                await EscalateOrRetryAsync();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogWakeFailed(logger, ex, promise.State.Id);
            }
        }, wait, Timeout.InfiniteTimeSpan);
    }

    /// <summary>
    /// Takes what is due, retrying shortly if the write fails; a step whose texts went is then recorded with a look-up, never resent.
    /// </summary>
    private async Task EscalateOrRetryAsync()
    {
        try
        {
            await promise.Escalate();
            _writeRetries = 0;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (_writeRetries >= EscalationTiming.WriteRetryDelays.Length)
            {
                _writeRetries = 0;
                throw;
            }

            LogWakeFailed(logger, ex, promise.State.Id);
            var delay = EscalationTiming.WriteRetryDelays[_writeRetries++];
            _retryTimer?.Dispose();
            _retryTimer = promise.StartTimer(async () =>
            {
                _retryTimer?.Dispose();
                _retryTimer = null;
                try
                {
                    await EscalateOrRetryAsync();
                }
                catch (Exception last) when (last is not OperationCanceledException)
                {
                    LogWakeFailed(logger, last, promise.State.Id);
                }
            }, delay, Timeout.InfiniteTimeSpan);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Escalation of promise {CommitmentId} at its moment failed; the reconcile pass takes it")]
    private static partial void LogWakeFailed(ILogger logger, Exception exception, Guid commitmentId);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Preparing the next escalation step of promise {CommitmentId} failed; it is taken at its moment instead")]
    private static partial void LogStagingFailed(ILogger logger, Exception exception, Guid commitmentId);
}
