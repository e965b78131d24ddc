using Microsoft.Extensions.Options;

namespace Commitments.Grains.Index;

/// <summary>
/// When this host's site indexes re-read their promises after activation. At a start every site's index activates within a
/// second, and their catch-ups queued in storage ahead of the steps that came due: so they wait until the start's urgent
/// steps are taken (<see cref="Open"/>, or <see cref="StartupHold"/> at most), then run a few at a time. Lists are served
/// from the stored pages meanwhile.
/// </summary>
public sealed class IndexCatchUpGate
{
    /// <summary>The longest catch-ups wait for a start's urgent steps.</summary>
    public static readonly TimeSpan StartupHold = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _slots;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _opened;

    public IndexCatchUpGate(IOptions<SiteIndexOptions> options, TimeProvider time)
    {
        _slots = new SemaphoreSlim(options.Value.ConcurrentCatchUps);
        _opened = Task.WhenAny(_open.Task, Task.Delay(StartupHold, time));
    }

    /// <summary>The start's urgent steps are taken (or there were none to take): catch-ups may run.</summary>
    public void Open() => _open.TrySetResult();

    /// <summary>Waits for the gate to open and a slot; disposing the result gives the slot back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _opened.WaitAsync(cancellationToken);
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
