using Commitments.Host.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
