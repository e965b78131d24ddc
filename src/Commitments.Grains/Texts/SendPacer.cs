using Commitments.Grains.Common;

namespace Commitments.Grains.Texts;

/// <summary>
/// Paces sends so one sender never goes above its rate, counted in segments (§6). Sends are given
/// slots on a grid of segments ÷ rate seconds, kept <see cref="Margin"/> under the rate so the jitter
/// between our send and Twilio's clock cannot push a second over it. A send that comes a little late
/// keeps the grid (timer overshoot does not slow the rate down); after an idle spell the grid
/// restarts from now, so lateness never turns into a burst.
/// </summary>
public sealed class SendPacer(TimeProvider time)
{
    /// <summary>The share of the configured rate actually used.</summary>
    public const double Margin = 0.98;

    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <summary>
    /// Claims the next slot for <paramref name="segments"/> at <paramref name="segmentsPerSecond"/>: how
    /// long to wait before sending; null, and nothing claimed, when that would be longer than <paramref name="maxWait"/>.
    /// </summary>
    public TimeSpan? Reserve(int segments, double segmentsPerSecond, TimeSpan maxWait)
    {
        var now = time.GetUtcNow();
        var due = _nextFree > _pausedUntil ? _nextFree : _pausedUntil;
        var start = due > now ? due : now;
        if (start - now > maxWait)
        {
            return null;
        }

        var slot = TimeSpan.FromSeconds(Math.Max(1, segments) / (segmentsPerSecond * Margin));
        _nextFree = start - _nextFree < slot / 2 ? _nextFree + slot : start + slot;
        return start - now;
    }

    /// <summary>Twilio said the sender's queue is full (21611): nothing more for a while.</summary>
    public void Pause(TimeSpan pause)
    {
        var until = time.GetUtcNow() + pause;
        if (_pausedUntil < until)
        {
            _pausedUntil = until;
        }
    }
}

/// <summary>
/// The pace of one sending number for the whole cluster (key: a hash of the sender, so no number shows
/// in Orleans' logs): every silo's dispatcher takes its slots here, so the rate holds however many hosts send.
/// </summary>
public interface ISenderPaceGrain : IGrainWithStringKey
{
    /// <summary>
    /// Claims a slot for a text of <paramref name="segments"/> segments: how long to wait before sending
    /// it, or null (nothing claimed) if its turn would come later than <paramref name="maxWait"/>.
    /// </summary>
    /// <remarks>Asked again when the grain's silo died mid-call: at worst a slot goes unused.</remarks>
    [Idempotent]
    Task<TimeSpan?> Reserve(int segments, double segmentsPerSecond, TimeSpan maxWait);

    /// <summary>Twilio said the sender's queue is full (21611): no slots for <paramref name="pause"/>.</summary>
    [Idempotent]
    Task Pause(TimeSpan pause);
}

public sealed class SenderPaceGrain(TimeProvider time) : Grain, ISenderPaceGrain
{
    private readonly SendPacer _pacer = new(time);

    public Task<TimeSpan?> Reserve(int segments, double segmentsPerSecond, TimeSpan maxWait) => Task.FromResult(_pacer.Reserve(segments, segmentsPerSecond, maxWait));

    public Task Pause(TimeSpan pause)
    {
        _pacer.Pause(pause);
        return Task.CompletedTask;
    }
}
