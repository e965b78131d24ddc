namespace Commitments.Host.Texts;

/// <summary>
/// Paces sends so one sender never goes above its rate, counted in segments (§6). Sends pass one at
/// a time on a grid of segments ÷ rate seconds, kept <see cref="Margin"/> under the rate so the
/// jitter between our send and Twilio's clock cannot push a second over it. A send that wakes a
/// little late keeps the grid (timer overshoot does not slow the rate down); after an idle spell or
/// a long delay the grid restarts from now, so lateness never turns into a burst.
/// </summary>
public sealed class SendPacer(TimeProvider time, double segmentsPerSecond)
{
    /// <summary>The share of the configured rate actually used.</summary>
    public const double Margin = 0.98;

    private readonly SemaphoreSlim _turn = new(1, 1);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <summary>Waits until this send's segments fit under the rate, and claims them.</summary>
    public async Task WaitAsync(int segments, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            while (true)
            {
                DateTimeOffset due;
                lock (_gate)
                {
                    due = _nextFree > _pausedUntil ? _nextFree : _pausedUntil;
                }

                var wait = due - time.GetUtcNow();
                if (wait <= TimeSpan.Zero)
                {
                    break;
                }

                // Re-checked after the wait: a 21611 pause may have been set meanwhile.
                await Task.Delay(wait, time, cancellationToken);
            }

            var slot = TimeSpan.FromSeconds(Math.Max(1, segments) / (segmentsPerSecond * Margin));
            var now = time.GetUtcNow();
            lock (_gate)
            {
                _nextFree = now - _nextFree < slot / 2 ? _nextFree + slot : now + slot;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Twilio said the sender's queue is full (21611): nothing more for a while.</summary>
    public void Pause(TimeSpan pause)
    {
        lock (_gate)
        {
            var until = time.GetUtcNow() + pause;
            if (_pausedUntil < until)
            {
                _pausedUntil = until;
            }
        }
    }
}
