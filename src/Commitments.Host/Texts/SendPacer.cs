namespace Commitments.Host.Texts;

/// <summary>
/// Paces sends so one sender never goes above its rate, counted in segments (§6): each send
/// reserves segments ÷ rate seconds of the sender's time, and waits for its slot.
/// </summary>
public sealed class SendPacer(TimeProvider time, double segmentsPerSecond)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;

    /// <summary>Waits until this send's segments fit under the rate.</summary>
    public async Task WaitAsync(int segments, CancellationToken cancellationToken)
    {
        DateTimeOffset slot;
        lock (_gate)
        {
            var now = time.GetUtcNow();
            slot = _nextFree > now ? _nextFree : now;
            _nextFree = slot + TimeSpan.FromSeconds(Math.Max(1, segments) / segmentsPerSecond);
        }

        var wait = slot - time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>Twilio said the sender's queue is full (21611): nothing more for a while.</summary>
    public void Pause(TimeSpan pause)
    {
        lock (_gate)
        {
            var until = time.GetUtcNow() + pause;
            if (_nextFree < until)
            {
                _nextFree = until;
            }
        }
    }
}
