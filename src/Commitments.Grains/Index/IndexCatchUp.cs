using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Index;

/// <summary>
/// A site index's re-read of its stored promises: after activation, of every promise stored since the pages' watermark
/// (retried with backoff until it succeeds, a few sites at a time through the host's <see cref="IndexCatchUpGate"/>), and
/// of all of them for a rebuild. Until the one after activation is done, the index writes no page (their watermarks would
/// skip what it has not read) and hands out reply codes only past where the missed ones can be.
/// </summary>
/// <remarks>
/// Started on the grain's turn, so each promise read goes to <paramref name="apply"/> on the grain's turn too; a failed
/// re-read after activation is tried again after <paramref name="backoff"/> (of the failures so far).
/// </remarks>
internal sealed partial class IndexCatchUp(
    string site, ICommitmentStateSource? source, IndexCatchUpGate? gate, Action<IndexEntry> apply, Func<int, TimeSpan> backoff,
    TimeProvider time, ILogger logger)
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _running = Task.CompletedTask;

    /// <summary>The re-read after activation succeeded: the index knows every stored promise.</summary>
    public bool Done { get; private set; }

    /// <summary>
    /// Starts the re-read after activation from <paramref name="since"/> (null: every promise); once it succeeds,
    /// <paramref name="done"/> hears how many were read and how long it took.
    /// </summary>
    public void Start(DateTimeOffset? since, Action<int, TimeSpan> done) => _running = RunAsync(since, done, _stopping.Token);

    /// <summary>The activation is going away: a re-read still under way stops.</summary>
    public Task StopAsync() => _stopping.CancelAsync();

    /// <summary>Completes when the re-read after activation ends, whether it succeeded or the activation is going away.</summary>
    public Task Finished() =>
        _running.IsCompleted ? Task.CompletedTask : _running.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Current);

    /// <summary>As <see cref="Finished"/>, waited for at most <paramref name="wait"/>; a caller that must know every promise checks <see cref="Done"/> after.</summary>
    public Task FinishedWithin(TimeSpan wait) => Done ? Task.CompletedTask : Task.WhenAny(Finished(), Task.Delay(wait, time));

    /// <summary>Reads every promise of the site stored since <paramref name="since"/> (null: all) into the index; returns how many.</summary>
    public async Task<int> ReadAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        if (source is null)
        {
            return 0;
        }

        var read = 0;
        await foreach (var state in source.ChangedSinceAsync(site, since, cancellationToken))
        {
            if (state.Exists)
            {
                apply(IndexEntry.From(state));
                read++;
            }
        }

        return read;
    }

    private async Task RunAsync(DateTimeOffset? since, Action<int, TimeSpan> done, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var read = 0;
        for (var failures = 0; ; failures++)
        {
            try
            {
                using var slot = gate is null ? null : await gate.EnterAsync(cancellationToken);
                read = await ReadAsync(since, cancellationToken);
                break;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                var wait = backoff(failures);
                LogCatchUpFailed(logger, ex, site, (long)wait.TotalMilliseconds);
                await Task.Delay(wait, time, cancellationToken);
            }
        }

        Done = true;
        done(read, time.GetElapsedTime(started));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index of site {Site} could not re-read its stored promises; next try in {WaitMs} ms")]
    private static partial void LogCatchUpFailed(ILogger logger, Exception exception, string site, long waitMs);
}
