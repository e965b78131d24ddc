using Microsoft.Extensions.Options;

namespace Commitments.Grains.Index;

/// <summary>
/// How many of this host's site indexes re-read their promises at once. When a host starts, every site's index activates
/// within a second; their catch-ups all at once queued in storage ahead of the steps coming due.
/// </summary>
public sealed class IndexCatchUpGate(IOptions<SiteIndexOptions> options)
{
    private readonly SemaphoreSlim _slots = new(options.Value.ConcurrentCatchUps);

    /// <summary>Waits for a slot; disposing the result gives it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}
