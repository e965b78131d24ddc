using Commitments.Grains.Common;

namespace Commitments.Grains.Texts;

/// <summary>
/// Paces one sender's segments (§6) on a grid <see cref="Margin"/> under its rate, so clock jitter cannot push a second over.
/// A late send keeps the grid (overshoot does not slow it); after idling the grid restarts, so lateness never becomes a burst.
/// </summary>
public sealed class SendPacer(TimeProvider time)
{
    /// <summary>The share of the configured rate actually used.</summary>
    public const double Margin = 0.98;

    private DateTimeOffset _nextFree = DateTimeOffset.MinValue;
    private DateTimeOffset _pausedUntil = DateTimeOffset.MinValue;

    /// <summary>Claims the next slot: how long to wait; null (nothing claimed) past <paramref name="maxWait"/>.</summary>
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
/// One sender's pace for the whole cluster, so the rate holds however many hosts send. Keyed by a hash: no number in logs.
/// </summary>
public interface ISenderPaceGrain : IGrainWithStringKey
{
    /// <summary>Claims a slot: how long to wait; null (nothing claimed) past <paramref name="maxWait"/>.</summary>
    /// <remarks>Retried if the silo died mid-call: at worst a slot goes unused.</remarks>
    [Idempotent]
    Task<TimeSpan?> Reserve(int segments, double segmentsPerSecond, TimeSpan maxWait);

    /// <summary>Twilio said the sender's queue is full (21611): no slots for <paramref name="pause"/>.</summary>
    [Idempotent]
    Task Pause(TimeSpan pause);
}

public sealed class SenderPaceGrain(TimeProvider time) : Grain, ISenderPaceGrain
{
    private readonly SendPacer _pacer = new(time);

    public Task<TimeSpan?> Reserve(int segments, double segmentsPerSecond, TimeSpan maxWait) =>
        Task.FromResult(_pacer.Reserve(segments, segmentsPerSecond, maxWait));

    public Task Pause(TimeSpan pause)
    {
        _pacer.Pause(pause);
        return Task.CompletedTask;
    }
}
