using Commitments.Grains.Index;

namespace Commitments.Host.Web.Shared;

/// <summary>
/// Pushes a site's promise changes to its screens, so browsers never poll: one observer per site per host, renewed
/// well within the index grain's observer lifetime while anyone listens, fans out to every circuit.
/// </summary>
public sealed partial class SiteChangeFeed(IGrainFactory grains, TimeProvider time, ILogger<SiteChangeFeed> logger)
    : IDisposable
{
    public delegate Task ChangeHandler(IndexEntry? before, IndexEntry after);

    /// <summary>A staff member's sign-ins may have ended (see <see cref="ISiteIndexObserver.StaffChanged"/>).</summary>
    public delegate void StaffHandler(string staffId);

    private static readonly TimeSpan Renew = SiteIndexGrain.ObserverLifetime / 3;

    private readonly IGrainFactory _grains = grains;
    private readonly TimeProvider _time = time;
    private readonly ILogger _logger = logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Feed> _feeds = [];

    /// <summary>Calls <paramref name="onChange"/> for every change at <paramref name="site"/> until disposed.</summary>
    public IDisposable Listen(string site, ChangeHandler onChange) => Add(site, new Listener(onChange, null));

    /// <summary>Calls <paramref name="onStaffChanged"/> when a change at <paramref name="site"/> may end sign-ins, until disposed.</summary>
    public IDisposable ListenStaff(string site, StaffHandler onStaffChanged) => Add(site, new Listener(null, onStaffChanged));

    private IDisposable Add(string site, Listener listener)
    {
        // Under the lock, so a stopping feed is not handed a new listener.
        lock (_gate)
        {
            if (!_feeds.TryGetValue(site, out var feed))
            {
                feed = new Feed(this, site);
                _feeds[site] = feed;
                feed.Start();
            }

            return feed.Add(listener);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            // The host is going down with its grains: stop renewing and let the subscriptions lapse.
            foreach (var feed in _feeds.Values)
            {
                feed.Stop(unsubscribe: false);
            }

            _feeds.Clear();
        }
    }

    private void Remove(Feed feed)
    {
        lock (_gate)
        {
            if (feed.IsEmpty && _feeds.GetValueOrDefault(feed.Site) == feed)
            {
                _feeds.Remove(feed.Site);
                feed.Stop();
            }
        }
    }

    private sealed class Feed(SiteChangeFeed owner, string site) : ISiteIndexObserver
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Lock _gate = new();
        private List<Listener> _listeners = [];
        private ISiteIndexObserver? _reference;

        public string Site => site;

        public bool IsEmpty
        {
            get
            {
                lock (_gate)
                {
                    return _listeners.Count == 0;
                }
            }
        }

        public IDisposable Add(Listener listener)
        {
            lock (_gate)
            {
                _listeners = [.. _listeners, listener];
            }

            return new Subscription(() =>
            {
                lock (_gate)
                {
                    _listeners = [.. _listeners.Where(l => !ReferenceEquals(l, listener))];
                }

                owner.Remove(this);
            });
        }

        public Task StaffChanged(string changedSite, string staffId)
        {
            foreach (var listener in Current())
            {
                try
                {
                    listener.OnStaff?.Invoke(staffId);
                }
                catch (Exception ex)
                {
                    LogHandlerFailed(owner._logger, site, ex);
                }
            }

            return Task.CompletedTask;
        }

        private List<Listener> Current()
        {
            lock (_gate)
            {
                return _listeners;
            }
        }

        public void Start()
        {
            _reference = owner._grains.CreateObjectReference<ISiteIndexObserver>(this);
            _ = KeepSubscribedAsync(_reference, _stop.Token);
        }

        public void Stop(bool unsubscribe = true)
        {
            _stop.Cancel();
            if (unsubscribe && _reference is { } reference)
            {
                _ = UnsubscribeAsync(reference);
            }
        }

        private async Task UnsubscribeAsync(ISiteIndexObserver reference)
        {
            try
            {
                await owner._grains.GetGrain<ISiteIndexGrain>(site).UnsubscribeChanges(reference);
                owner._grains.DeleteObjectReference<ISiteIndexObserver>(reference);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OrleansException or TimeoutException)
            {
                // Shutting down, or the index is unreachable: the subscription lapses on its own.
            }
        }

        private async Task KeepSubscribedAsync(ISiteIndexObserver reference, CancellationToken cancellationToken)
        {
            var index = owner._grains.GetGrain<ISiteIndexGrain>(site);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await index.SubscribeChanges(reference);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogSubscribeFailed(owner._logger, site, ex);
                }

                try
                {
                    await Task.Delay(Renew, owner._time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public Task EntryChanged(string changedSite, IndexEntry? before, IndexEntry after)
        {
            foreach (var listener in Current())
            {
                if (listener.OnChange is { } handler)
                {
                    _ = Notify(handler, before, after);
                }
            }

            return Task.CompletedTask;
        }

        private async Task Notify(ChangeHandler handler, IndexEntry? before, IndexEntry after)
        {
            try
            {
                await handler(before, after);
            }
            catch (Exception ex)
            {
                LogHandlerFailed(owner._logger, site, ex);
            }
        }
    }

    private sealed class Listener(ChangeHandler? onChange, StaffHandler? onStaff)
    {
        public ChangeHandler? OnChange => onChange;

        public StaffHandler? OnStaff => onStaff;
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not subscribe to changes at site {Site}; retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, string site, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "A screen failed to take a change at site {Site}")]
    private static partial void LogHandlerFailed(ILogger logger, string site, Exception exception);
}
