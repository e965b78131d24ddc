using System.Collections.Concurrent;

namespace Commitments.Host.Tests;

/// <summary>Makes one method of one grain fail while a test says so: how the pages bear a failed read.</summary>
public sealed class GrainFaults : IIncomingGrainCallFilter
{
    private static readonly ConcurrentDictionary<(GrainId Grain, string Method), int> Failing = new();

    /// <summary>Calls to <paramref name="method"/> of <paramref name="grain"/> throw until the result is disposed.</summary>
    public static IDisposable Fail(GrainId grain, string method)
    {
        Failing[(grain, method)] = 0;
        return new Restore(() => Failing.TryRemove((grain, method), out _));
    }

    public Task Invoke(IIncomingGrainCallContext context) =>
        Failing.ContainsKey((context.TargetId, context.MethodName))
            ? throw new TimeoutException($"Test fault: {context.MethodName} of {context.TargetId} fails.")
            : context.Invoke();

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
