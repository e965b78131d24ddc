using System.Collections.Concurrent;
using Orleans.Storage;

namespace Commitments.Grains.Tests;

/// <summary>
/// The grain tests' storage: memory, with writes of a chosen grain made to fail on demand, as when
/// storage is unreachable for a moment or the process dies before its write; reads and writes are counted.
/// </summary>
public sealed class FaultyStorage(IGrainStorage inner) : IGrainStorage
{
    private readonly ConcurrentDictionary<GrainId, int> _failWrites = new();

    /// <summary>The next <paramref name="count"/> writes of <paramref name="grain"/> fail (nothing is stored).</summary>
    public void FailNextWrites(GrainId grain, int count = 1) => _failWrites[grain] = count;

    /// <summary>Writes of <paramref name="grain"/> that were told to fail and have not yet.</summary>
    public int FailuresLeft(GrainId grain) => _failWrites.GetValueOrDefault(grain);

    private readonly ConcurrentDictionary<GrainId, int> _reads = new();

    /// <summary>How many times <paramref name="grain"/>'s state has been read.</summary>
    public int Reads(GrainId grain) => _reads.GetValueOrDefault(grain);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _reads.AddOrUpdate(grainId, 1, (_, n) => n + 1);
        return inner.ReadStateAsync(stateName, grainId, grainState);
    }

    private readonly ConcurrentDictionary<GrainId, int> _writes = new();

    /// <summary>How many times a write of <paramref name="grain"/>'s state has begun (failed ones too).</summary>
    public int Writes(GrainId grain) => _writes.GetValueOrDefault(grain);

    private readonly ConcurrentDictionary<GrainId, ConcurrentBag<(Func<object?, bool> Matches, TaskCompletionSource Done)>> _awaited = new();

    /// <summary>Completes once a write of <paramref name="grain"/>'s state that <paramref name="matches"/> has succeeded.</summary>
    public Task WrittenAsync(GrainId grain, Func<object?, bool> matches)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _awaited.GetOrAdd(grain, _ => []).Add((matches, done));
        return done.Task;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _writes.AddOrUpdate(grainId, 1, (_, n) => n + 1);
        while (_failWrites.TryGetValue(grainId, out var left) && left > 0)
        {
            if (_failWrites.TryUpdate(grainId, left - 1, left))
            {
                throw new IOException("Storage is unreachable (a fault the test injected).");
            }
        }

        await inner.WriteStateAsync(stateName, grainId, grainState);
        if (_awaited.TryGetValue(grainId, out var awaited))
        {
            foreach (var (matches, done) in awaited.Where(a => !a.Done.Task.IsCompleted && a.Matches(grainState.State)))
            {
                done.TrySetResult();
            }
        }
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        inner.ClearStateAsync(stateName, grainId, grainState);
}
