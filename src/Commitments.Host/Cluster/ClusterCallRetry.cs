using System.Reflection;
using Commitments.Grains.Common;

namespace Commitments.Host.Cluster;

/// <summary>
/// Retries calls that meet a leaving or dead silo: a rejection never ran, so it goes again; a lost silo may have run it,
/// so only an <see cref="IdempotentAttribute">idempotent</see> call goes again. Other failures, or past <see cref="Patience"/>, reach the caller.
/// </summary>
internal sealed class ClusterCallRetry(TimeProvider time) : IOutgoingGrainCallFilter
{
    /// <summary>Membership declares a dead silo within seconds; a leaving one hands its grains on faster.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private static readonly TimeSpan MaxPause = TimeSpan.FromMilliseconds(250);

    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Orleans clears a request's arguments on Dispose once run; a retry must carry the originals.
        var request = context.Request;
        var arguments = new object?[request.GetArgumentCount()];
        for (var i = 0; i < arguments.Length; i++)
        {
            arguments[i] = request.GetArgument(i);
        }

        var giveUp = time.GetUtcNow() + Patience;
        var pause = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            try
            {
                await context.Invoke();
                return;
            }
            catch (Exception ex) when (Retriable(ex, context) && time.GetUtcNow() < giveUp)
            {
                for (var i = 0; i < arguments.Length; i++)
                {
                    request.SetArgument(i, arguments[i]!);
                }

                await Task.Delay(pause, time);
                // Short pauses: the call should go through within moments of membership declaring the silo dead.
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, MaxPause.Ticks));
            }
        }
    }

    private static bool Retriable(Exception exception, IOutgoingGrainCallContext context) => exception switch
    {
        // (A SiloUnavailableException is a rejection too, but one the target may have acted on.)
        SiloUnavailableException => context.InterfaceMethod?.GetCustomAttribute<IdempotentAttribute>() is not null,
        OrleansMessageRejectionException => true,
        _ => false,
    };
}
