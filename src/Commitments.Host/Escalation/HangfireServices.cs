using Azure.Data.Tables;
using Commitments.Host.Cluster;
using Hangfire.AspNetCore;

namespace Commitments.Host.Escalation;

/// <summary>
/// Hangfire's log provider is global and asked lazily, so it may outlive its host: a disposed host's
/// factory throws, and this returns a logger that drops messages instead.
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
/// In-memory jobs would strand a cluster's steps in one process, so a host using it refuses to start (before its silo
/// joins) when the membership table shows another live host, and stops if one joins later.
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

    // A live silo writes its row at least every 30 s; three missed writes mean the host is gone.
    private static readonly TimeSpan Stale = TimeSpan.FromSeconds(90);

    // Before the silo starts (and after Azurite, in Development).
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var rows = tables.GetTableClient(silo.MembershipTableName);
        try
        {
            var since = time.GetUtcNow() - Stale;
            await foreach (var row in rows.QueryAsync<TableEntity>(
                e => e.PartitionKey == silo.EffectiveClusterId, cancellationToken: cancellationToken))
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
                // Another host joined anyway (Redis, or started at the same moment): this one leaves.
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
