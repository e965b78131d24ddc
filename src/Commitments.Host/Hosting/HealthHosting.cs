using Commitments.Host.Health;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Commitments.Host.Hosting;

/// <summary>/health/live answers while the process does; /health/ready once the silo is active and storage answers.</summary>
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
