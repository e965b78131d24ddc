using Commitments.Host.Cluster;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Health;

/// <summary>How a host leaves a cluster when asked to stop (section "Drain").</summary>
public sealed class DrainOptions
{
    /// <summary>
    /// How long a stopping host serves while unready, so the balancer stops sending first (default 5 s: two 2-s probes
    /// and a margin). Only when other hosts are active.
    /// </summary>
    public TimeSpan Delay { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>A stopping host first turns unready, then waits for the balancer to notice, then stops serving.</summary>
internal sealed partial class DrainOnStop(
    IOptions<DrainOptions> options,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    TimeProvider time,
    ILogger<DrainOnStop> logger) : IHostedLifecycleService
{
    private volatile bool _draining;

    public bool Draining => _draining;

    // Before any service stops (the web server among them).
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.Delay <= TimeSpan.Zero || !ClusterMembership.OthersActive(membership, silo.SiloAddress))
        {
            return;
        }

        _draining = true;
        LogDraining(logger, (long)options.Value.Delay.TotalMilliseconds);
        try
        {
            await Task.Delay(options.Value.Delay, time, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // The shutdown timeout ran out: stop now.
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Stopping: not ready for {DelayMs} ms while the balancer moves traffic to the other hosts")]
    private static partial void LogDraining(ILogger logger, long delayMs);
}
