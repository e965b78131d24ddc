using Azure.Data.Tables;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Host.Auth;
using Commitments.Host.Cluster;
using Commitments.Host.Escalation;
using Hangfire;
using Hangfire.AspNetCore;
using Hangfire.Dashboard;
using Hangfire.InMemory;
using Hangfire.Redis.StackExchange;

namespace Commitments.Host.Hosting;

/// <summary>Hangfire's storage and server (section "Hangfire").</summary>
public sealed class HangfireSettings
{
    /// <summary>"inmemory" (default: one process, forgets on a crash — the reconcile pass covers that) or "redis".</summary>
    public string Storage { get; set; } = "inmemory";

    /// <summary>The StackExchange.Redis connection string, for Storage = redis.</summary>
    public string? Redis { get; set; }

    /// <summary>How often scheduled jobs are moved to the queue (default 1 s; jobs fire <see cref="EscalationOptions.JobLead"/> early).</summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Jobs run at once (default 20): escalation jobs are short grain calls.</summary>
    public int WorkerCount { get; set; } = 20;

    /// <summary>
    /// The platform's operators ("site/staff", signed in as that person): the only people who see the
    /// dashboard, which shows every site's jobs. No site's manager is one unless named here.
    /// </summary>
    public List<string> Operators { get; set; } = [];
}

/// <summary>
/// Escalation: Hangfire runs one job per open promise's next step (scheduled by the grain itself
/// through <see cref="IEscalationScheduler"/>), a recurring reconcile pass, and the dashboard.
/// </summary>
internal static class EscalationHosting
{
    public static IHostApplicationBuilder AddCommitmentsEscalation(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection("Hangfire").Get<HangfireSettings>() ?? new HangfireSettings();
        builder.Services.AddSingleton(settings);
        builder.Services.AddOptions<EscalationOptions>().BindConfiguration("Escalation");
        builder.Services.AddOptions<EscalationLimits>().BindConfiguration("Escalation");
        builder.Services.AddOptions<LedgerOptions>().BindConfiguration("Ledger");

        // The storage is this host's own (not Hangfire's global one), so two hosts in one process stay apart.
        builder.Services.AddSingleton<JobStorage>(_ => settings.Storage.ToLowerInvariant() switch
        {
            "inmemory" => new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid }),
            "redis" when !string.IsNullOrWhiteSpace(settings.Redis) => new RedisStorage(settings.Redis, new RedisStorageOptions { Prefix = "commitments:hangfire:" }),
            "redis" => throw new InvalidOperationException("Hangfire:Storage is 'redis' but Hangfire:Redis (the connection string) is empty."),
            _ => throw new InvalidOperationException($"Hangfire:Storage must be 'inmemory' or 'redis', not '{settings.Storage}'."),
        });
        // Jobs are activated from this host's own services. Hangfire's default is its global
        // JobActivator.Current, which is whichever host configured Hangfire last: with two hosts in
        // one process (tests, the benchmark's restart) jobs would run against the other host's silo,
        // or fail once that host is disposed.
        builder.Services.AddSingleton<JobActivator>(services => new AspNetCoreJobActivator(services.GetRequiredService<IServiceScopeFactory>()));
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
        builder.Services.AddSingleton<IEscalationScheduler>(services => ActivatorUtilities.CreateInstance<HangfireEscalationScheduler>(services, schedulerThreads));
        builder.Services.AddSingleton<EscalationReconciler>();
        builder.Services.AddTransient<EscalationJobs>();
        builder.Services.AddHostedService<ReconcileAtStartup>();
        if (settings.Storage.Equals("inmemory", StringComparison.OrdinalIgnoreCase))
        {
            builder.Services.AddHostedService<InMemoryJobsStayAlone>();
        }

        return builder;
    }

    /// <summary>The dashboard at /hangfire: the platform operators in Hangfire:Operators only (it shows every site's jobs).</summary>
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

/// <summary>
/// Hangfire's log provider is global too (the last host to start sets it), and Hangfire asks it for
/// loggers lazily: once that host is disposed its logger factory throws. Asking a disposed host for a
/// logger gets one that drops what it is given instead of failing the caller.
/// </summary>
internal sealed class HostLogProvider(ILoggerFactory factory) : Hangfire.Logging.ILogProvider
{
    private readonly AspNetCoreLogProvider _inner = new(factory);

    public Hangfire.Logging.ILog GetLogger(string name)
    {
        try
        {
            return _inner.GetLogger(name);
        }
        catch (ObjectDisposedException)
        {
            return Dropped.Instance;
        }
    }

    private sealed class Dropped : Hangfire.Logging.ILog
    {
        public static readonly Dropped Instance = new();

        public bool Log(Hangfire.Logging.LogLevel logLevel, Func<string>? messageFunc, Exception? exception = null) => false;
    }
}

/// <summary>
/// In-memory job storage belongs to one process: in a cluster each host would run its own recurring
/// pass and keep the jobs of its promises' steps where no other host can run them. A host with it
/// refuses to start when the membership table shows another live host in its cluster (before its own
/// silo joins, so the hosts already running never see it), and stops if another host joins later.
/// </summary>
internal sealed partial class InMemoryJobsStayAlone(
    TableServiceClient tables,
    SiloOptions silo,
    IServiceProvider services,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<InMemoryJobsStayAlone> logger) : BackgroundService, IHostedLifecycleService
{
    public const string Why = "Hangfire:Storage is 'inmemory', which keeps escalation jobs in this one process, but other hosts are active " +
        "in this cluster. Every host of a cluster needs Hangfire:Storage=redis and Hangfire:Redis (the same Redis for all).";

    // A live silo writes its row at least every 30 s; a row older than three of those belongs to a host that is gone.
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(90);

    // Before the silo starts (and after Azurite, in Development).
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var rows = tables.GetTableClient(silo.MembershipTableName);
        try
        {
            var since = time.GetUtcNow() - Stale;
            await foreach (var row in rows.QueryAsync<TableEntity>(e => e.PartitionKey == silo.EffectiveClusterId, cancellationToken: cancellationToken))
            {
                // This host's own earlier life (this machine, the same port, an older generation) does not count.
                var earlierSelf = row.GetString("HostName") == System.Net.Dns.GetHostName()
                    && row.GetString("Port") == silo.SiloPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
                if (row.GetString("Status") == "Active" && row.Timestamp > since && !earlierSelf)
                {
                    throw new InvalidOperationException(Why);
                }
            }
        }
        catch (Azure.RequestFailedException ex) when (ex.Status == StatusCodes.Status404NotFound)
        {
            // No membership table yet: the first host of the first cluster.
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var membership = services.GetRequiredService<IClusterMembershipService>();
        var self = services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
        await foreach (var _ in membership.MembershipUpdates.WithCancellation(stoppingToken))
        {
            if (ClusterMembership.OthersActive(membership, self))
            {
                // A host that joined anyway (configured for Redis, or starting at the same moment): a
                // cluster cannot keep jobs in one process's memory, so this one leaves it.
                LogJoined(logger, Why);
                lifetime.StopApplication();
                return;
            }
        }
    }

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Critical, Message = "Another host joined this host's cluster; stopping: {Why}")]
    private static partial void LogJoined(ILogger logger, string why);
}
