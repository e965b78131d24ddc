using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Host.Auth;
using Commitments.Host.Escalation;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;

namespace Commitments.Host.Hosting;

/// <summary>Hangfire: a job per promise's next step (via <see cref="IEscalationScheduler"/>), the reconcile pass, the dashboard.</summary>
internal static class EscalationHosting
{
    public static IHostApplicationBuilder AddCommitmentsEscalation(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Hangfire").Get<HangfireSettings>() ?? new HangfireSettings();
        builder.Services.AddSingleton(settings);
        builder.Services.AddOptions<EscalationOptions>().BindConfiguration("Escalation")
            .Validate(o => o.WakeAhead > TimeSpan.Zero, "Escalation:WakeAhead must be positive: a promise needs a moment to prepare its step.")
            .ValidateOnStart();
        builder.Services.AddOptions<EscalationLimits>().BindConfiguration("Escalation");
        builder.Services.AddOptions<LedgerOptions>().BindConfiguration("Ledger");

        // The storage is this host's own (not Hangfire's global one), so two hosts in one process stay apart.
        builder.Services.AddSingleton<JobStorage>(_ => settings.Storage.ToLowerInvariant() switch
        {
            "inmemory" => new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid }),
            "redis" when !string.IsNullOrWhiteSpace(settings.Redis) =>
                new RedisStorage(settings.Redis, new RedisStorageOptions { Prefix = "commitments:hangfire:" }),
            "redis" => throw new InvalidOperationException("Hangfire:Storage is 'redis' but Hangfire:Redis (the connection string) is empty."),
            _ => throw new InvalidOperationException($"Hangfire:Storage must be 'inmemory' or 'redis', not '{settings.Storage}'."),
        });
        // This host's own activator: Hangfire's global one belongs to whichever host configured it last, so with two
        // hosts in one process (tests) jobs would hit the other host's silo, or fail once it is disposed.
        builder.Services.AddSingleton<JobActivator>(services =>
            new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
        builder.Services.AddHangfire((services, config) => config
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UseLogProvider(new HostLogProvider(services.GetRequiredService<ILoggerFactory>())));
        builder.Services.AddHangfireServer(options =>
        {
            options.SchedulePollingInterval = settings.SchedulePollingInterval;
            options.WorkerCount = settings.WorkerCount;
            options.ServerName = $"{Environment.MachineName}:{Environment.ProcessId}";
        });
        var schedulerThreads = settings.Storage.Equals("redis", StringComparison.OrdinalIgnoreCase) ? 4 : 1;
        builder.Services.AddSingleton<IEscalationScheduler>(services =>
            ActivatorUtilities.CreateInstance<HangfireEscalationScheduler>(services, schedulerThreads));
        builder.Services.AddSingleton<EscalationReconciler>();
        builder.Services.AddTransient<EscalationJobs>();
        builder.Services.AddHostedService<ReconcileAtStartup>();
        if (settings.Storage.Equals("inmemory", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddHostedService<InMemoryJobsStayAlone>();
        }

        return builder;
    }

    /// <summary>The dashboard at /hangfire, for Hangfire:Operators only since it shows every site's jobs.</summary>
    public static void MapHangfireForOperators(this IEndpointRouteBuilder app)
    {
        var settings = app.ServiceProvider.GetRequiredService<HangfireSettings>();
        app.MapHangfireDashboard("/hangfire", new DashboardOptions
        {
            Authorization = [new OperatorsOnly(settings)],
            DisplayStorageConnectionString = false,
            AppPath = "/",
        }).RequireAuthorization();
    }

    private sealed class OperatorsOnly(HangfireSettings settings) : IDashboardAuthorizationFilter
    {
        public bool Authorize(DashboardContext context)
        {
            var user = context.GetHttpContext().User;
            return user.Identity?.IsAuthenticated == true
                && settings.Operators.Contains($"{user.SiteId()}/{user.StaffId()}", StringComparer.Ordinal);
        }
    }
}
