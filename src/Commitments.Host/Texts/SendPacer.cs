namespace Commitments.Host.Texts;

/// <summary>
/// Paces sends so one sender never goes above its rate, counted in segments (§6). Sends pass one at
/// a time on a fixed grid of segments ÷ rate seconds, kept <see cref="Margin"/> under the rate so
/// the jitter between our send and Twilio's clock cannot push a second over it. A send that wakes
/// late keeps the grid (small timer overshoots do not slow the rate down), but may catch up by at
/// most half a slot, so lateness never turns into a burst.
/// </summary>
public sealed class SendPacer(TimeProvider time, double segmentsPerSecond)
{
    /// <summary>The share of the configured rate actually used.</summary>
    public const double Margin = 0.98;

    private readonly SemaphoreSlim _turn = new(1, 1);
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    /// <summary>Waits until this send's segments fit under the rate, and claims them.</summary>
    public async Task WaitAsync(int segments, CancellationToken cancellationToken)
    {
        await _turn.WaitAsync(cancellationToken);
        try
        {
            var wait = _nextFree - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, cancellationToken);
            }

            var slot = TimeSpan.FromSeconds(Math.Max(1, segments) / (segmentsPerSecond * Margin));
            var now = time.GetUtcNow();
            _nextFree = _nextFree + slot > now + (slot / 2) ? _nextFree + slot : now + (slot / 2);
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Twilio said the sender's queue is full (21611): nothing more for a while.</summary>
    public void Pause(TimeSpan pause)
    {
        var until = time.GetUtcNow() + pause;
        if (_nextFree < until)
        {
            _nextFree = until;
        }
    }
}
