using Commitments.Host.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Commitments.Host.Health;

internal sealed class SiloHealthCheck(ISiloStatusOracle silo, DrainOnStop drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(drain.Draining ? HealthCheckResult.Unhealthy("The host is stopping: its traffic moves to the other hosts.")
            : silo.CurrentStatus == SiloStatus.Active ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The silo is {silo.CurrentStatus}."));
}

internal sealed class StorageHealthCheck(StorageHealth storage) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        await storage.ProbeAsync(cancellationToken) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("Storage does not answer.");
}
