using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Commitments.Storage.AzureTables;
using Microsoft.Extensions.Options;
using Orleans.Clustering.AzureStorage;
using Orleans.Configuration;
using Orleans.Providers;
using Orleans.Serialization;
using Orleans.Storage;

namespace Commitments.Host.Hosting;

/// <summary>
/// The silo in this host (section "Orleans"). Every host, alone or one of several, joins its cluster
/// through the membership table in the storage account: a single host is a cluster of one.
/// </summary>
public sealed class SiloOptions
{
    /// <summary>Silo-to-silo port (default 11111); hosts on one machine need distinct ports.</summary>
    public int SiloPort { get; set; } = EndpointOptions.DEFAULT_SILO_PORT;

    /// <summary>Gateway port for external clients (default 30000); hosts on one machine need distinct ports.</summary>
    public int GatewayPort { get; set; } = EndpointOptions.DEFAULT_GATEWAY_PORT;

    /// <summary>The service id is part of every stored key (default "commitments"); never change it for stored data.</summary>
    public string ServiceId { get; set; } = "commitments";

    /// <summary>The cluster this host joins: the same for every host of one cluster (default: <see cref="ServiceId"/>).</summary>
    public string? ClusterId { get; set; }

    /// <summary>
    /// The address other silos reach this one at (an IP or a host name). Default: 127.0.0.1 in
    /// Development (nothing listens beyond this machine), elsewhere this machine's own address.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The membership table in the storage account (default "OrleansSiloInstances").</summary>
    public string MembershipTableName { get; set; } = "OrleansSiloInstances";

    /// <summary>
    /// How long one liveness probe may take (default 2 s). A silo that misses
    /// <see cref="MissedProbesLimit"/> probes in a row is suspected; enough suspicions declare it dead.
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes in a row before a silo is suspected (default 3).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Suspicions that declare a silo dead (default 2; one is enough in a cluster of two).</summary>
    public int VotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long an idle grain stays in memory (default: Orleans' own, 15 minutes; more than 1 minute); its state stays in storage.</summary>
    public TimeSpan? CollectionAge { get; set; }

    public string EffectiveClusterId => string.IsNullOrWhiteSpace(ClusterId) ? ServiceId : ClusterId;
}

internal static class OrleansHosting
{
    public static IHostApplicationBuilder AddCommitmentsSilo(this IHostApplicationBuilder builder)
    {
        var silo = builder.Configuration.GetSection("Orleans").Get<SiloOptions>() ?? new SiloOptions();
        var storage = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var advertised = AdvertisedAddress(silo, builder.Environment);

        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<SiteIndexOptions>().BindConfiguration("Index");
        builder.Services.AddSingleton<ICommitmentStateSource, StoredCommitments>();
        builder.Services.AddSingleton<IStoredSiteIndexes, StoredSiteIndexes>();
        builder.Services.AddSingleton<StartupIndexSnapshot>();
        builder.UseOrleans(orleans =>
        {
            orleans.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = silo.EffectiveClusterId;
                o.ServiceId = silo.ServiceId;
            });
            orleans.Configure<EndpointOptions>(o =>
            {
                o.SiloPort = silo.SiloPort;
                o.GatewayPort = silo.GatewayPort;
                if (advertised is not null)
                {
                    o.AdvertisedIPAddress = advertised;
                }
            });
            orleans.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = silo.ProbeTimeout;
                o.NumMissedProbesLimit = silo.MissedProbesLimit;
                o.NumVotesForDeathDeclaration = silo.VotesForDeathDeclaration;
            });
            if (silo.CollectionAge is { } age)
            {
                orleans.Configure<GrainCollectionOptions>(o => o.CollectionAge = age);
            }

            // A strongly consistent grain directory: when a host dies, the new owner of its directory
            // range asks the live hosts what they hold before it places anything, so a promise never has
            // two activations at once (the default directory heals eventually, and both could send a
            // prepared step's texts). Experimental in Orleans 10 (ORLEANSEXP003); see docs/cluster.md.
#pragma warning disable ORLEANSEXP003
            orleans.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            // A person's request waits on the grains only so long (CallDeadline), retries included.
            orleans.AddOutgoingGrainCallFilter<CallDeadlineFilter>();
            // A call that meets a silo leaving the cluster goes again where the grain lives now.
            orleans.AddOutgoingGrainCallFilter<ClusterCallRetry>();
            // Membership in the same storage account as grain state: one code path for one host or many.
            orleans.UseAzureStorageClustering((OptionsBuilder<AzureStorageClusteringOptions> options) => options.Configure<TableServiceClient>((o, tables) =>
            {
                o.TableServiceClient = tables;
                o.TableName = silo.MembershipTableName;
            }));
            // Orleans' own binary format: every stored type has explicit [Id]s, so it is version
            // tolerant, and it is a third the size of JSON and quicker to write (see the benchmark).
            orleans.AddAzureTableGrainStorageAsDefault(options => options.Configure<TableServiceClient, Serializer>((o, tables, serializer) =>
            {
                o.TableServiceClient = tables;
                o.TableName = storage.TableName;
                o.GrainStorageSerializer = new OrleansGrainStorageSerializer(serializer);
            }));
        });
        return builder;
    }

    private static IPAddress? AdvertisedAddress(SiloOptions silo, IHostEnvironment environment)
    {
        if (string.IsNullOrWhiteSpace(silo.AdvertisedAddress))
        {
            // Orleans picks this machine's address itself outside Development.
            return environment.IsDevelopment() ? IPAddress.Loopback : null;
        }

        if (IPAddress.TryParse(silo.AdvertisedAddress, out var address))
        {
            return address;
        }

        return Dns.GetHostAddresses(silo.AdvertisedAddress).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
            ?? throw new InvalidOperationException($"Orleans:AdvertisedAddress '{silo.AdvertisedAddress}' does not resolve to an IPv4 address.");
    }
}

/// <summary>Reads a site's promises back from grain storage, for the index to heal after a crash.</summary>
internal sealed class StoredCommitments(IServiceProvider services) : ICommitmentStateSource
{
    public async IAsyncEnumerable<CommitmentState> ChangedSinceAsync(
        string site, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = services.GetRequiredKeyedService<IGrainStateQuery>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var prefix = $"{CommitmentGrain.GrainTypeName}/{site}/";
        await foreach (var stored in query.QueryAsync<CommitmentState>(CommitmentGrain.StateName, prefix, since, cancellationToken))
        {
            yield return stored.State;
        }
    }
}

/// <summary>Reads every site's stored index shards in one query per shard name, for the start-up reconcile pass.</summary>
internal sealed class StoredSiteIndexes(IServiceProvider services) : IStoredSiteIndexes
{
    public async IAsyncEnumerable<(string Site, IndexEntry Entry)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = services.GetRequiredKeyedService<IGrainStateQuery>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        foreach (var shard in SiteIndexGrain.ShardStateNames)
        {
            await foreach (var stored in query.QueryAsync<SiteIndexState>(shard, $"{SiteIndexGrain.GrainTypeName}/", cancellationToken: cancellationToken))
            {
                var site = stored.GrainId.Key.ToString()!;
                foreach (var entry in stored.State.Entries)
                {
                    yield return (site, entry);
                }
            }
        }
    }
}

/// <summary>
/// What the site indexes had written when this process started, read once from storage and shared by the
/// start-up passes (escalation's reconcile, the first sweep for texts) until they are done with it.
/// </summary>
public sealed class StartupIndexSnapshot(IStoredSiteIndexes stored)
{
    private readonly Lock _gate = new();
    private Task<List<(string Site, IndexEntry Entry)>>? _read;

    /// <summary>The snapshot: read by the first caller, the same list for the rest (read again after <see cref="Release"/>).</summary>
    public Task<List<(string Site, IndexEntry Entry)>> GetAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_read is null || _read.IsFaulted || _read.IsCanceled)
            {
                _read = stored.ReadAllAsync(CancellationToken.None).ToListAsync().AsTask();
            }

            return _read.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The start-up passes are done: the memory goes.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _read = null;
        }
    }
}
