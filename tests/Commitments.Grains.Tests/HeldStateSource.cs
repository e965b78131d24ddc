using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Commitments.Grains.Commitments;
using Commitments.Grains.Index;

namespace Commitments.Grains.Tests;

/// <summary>
/// The index's catch-up source in grain tests: nothing to re-read, unless a test holds a site's catch-up back
/// (as a big site's takes its time) and gives it promises the index missed.
/// </summary>
public sealed class HeldStateSource : ICommitmentStateSource
{
    private readonly ConcurrentDictionary<string, (TaskCompletionSource Release, IReadOnlyList<CommitmentState> States)> _held = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset?> _since = new();

    /// <summary>Where <paramref name="site"/>'s last catch-up started reading (null: every promise).</summary>
    public DateTimeOffset? LastSince(string site) => _since[site];

    /// <summary>The next catch-ups of <paramref name="site"/> wait for the returned source, then read <paramref name="missed"/>.</summary>
    public TaskCompletionSource Hold(string site, params CommitmentState[] missed)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _held[site] = (release, missed);
        return release;
    }

    public async IAsyncEnumerable<CommitmentState> ChangedSinceAsync(
        string site, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        _since[site] = since;
        if (!_held.TryGetValue(site, out var held))
        {
            yield break;
        }

        await held.Release.Task.WaitAsync(cancellationToken);
        foreach (var state in held.States)
        {
            yield return state;
        }
    }
}
