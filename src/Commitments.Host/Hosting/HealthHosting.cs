using Commitments.Host.Cluster;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Hosting;

/// <summary>
/// /health/live: 200 while the process answers (a balancer or orchestrator restarts it otherwise).
/// /health/ready: 200 once the silo is active in cluster membership and storage answers, else 503.
/// </summary>
internal static class HealthHosting
{
    public static IHostApplicationBuilder AddCommitmentsHealth(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DrainOptions>().BindConfiguration("Drain");
        builder.Services.AddSingleton<DrainOnStop>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DrainOnStop>());
        builder.Services.AddHealthChecks()
            .AddCheck<SiloHealthCheck>("silo")
            .AddCheck<StorageHealthCheck>("storage");
        return builder;
    }

    public static void MapCommitmentsHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            ResultStatusCodes = { [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable },
        });
    }
}

internal sealed class SiloHealthCheck(ISiloStatusOracle silo, DrainOnStop drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.Draining ? HealthCheckResult.Unhealthy("The host is stopping: its traffic moves to the other hosts.")
            : silo.CurrentStatus == SiloStatus.Active ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The silo is {silo.CurrentStatus}."));
}

/// <summary>How a host leaves a cluster when asked to stop (section "Drain").</summary>
public sealed class DrainOptions
{
    /// <summary>
    /// How long a stopping host keeps serving while it reports not ready (default 5 s: two of the
    /// balancer's 2-second probes and a margin), so no new request reaches it once it stops listening.
    /// Only when other hosts are active: a host alone has nowhere to send its traffic.
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: not ready for {DelayMs} ms while the balancer moves traffic to the other hosts")]
    private static partial void LogDraining(ILogger logger, long delayMs);
}

internal sealed class StorageHealthCheck(StorageHealth storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await storage.ProbeAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Storage does not answer.");
}
