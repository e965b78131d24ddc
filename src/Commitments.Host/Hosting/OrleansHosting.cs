using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Commitments.Grains.Index;
using Commitments.Host.Cluster;
using Commitments.Host.Storage;
using Commitments.Host.Stored;
using Commitments.Storage.AzureTables;
using Microsoft.Extensions.Options;
using Orleans.Clustering.AzureStorage;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;
using SiloOptions = Commitments.Host.Cluster.SiloOptions;

namespace Commitments.Host.Hosting;

internal static class OrleansHosting
{
    public static IHostApplicationBuilder AddCommitmentsSilo(this IHostApplicationBuilder builder)
    {
        var silo = builder.Configuration.GetSection("Orleans").Get<SiloOptions>() ?? new SiloOptions();
        var storage = builder.Configuration.GetSection("Storage").Get<StorageOptions>() ?? new StorageOptions();
        var advertised = AdvertisedAddress(silo, builder.Environment);

        builder.Services.AddSingleton(silo);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddOptions<SiteIndexOptions>().BindConfiguration("Index")
            .Validate(
                o => o.PageBytes is >= SiteIndexOptions.MinPageBytes and <= SiteIndexOptions.MaxPageBytes,
                $"Index:PageBytes must be from {SiteIndexOptions.MinPageBytes} to {SiteIndexOptions.MaxPageBytes}.")
            .Validate(
                o => o.MaxOpenPromises is > 0 and < ReplyCodes.Count,
                $"Index:MaxOpenPromises must be from 1 to {ReplyCodes.Count - 1} (each open promise holds a reply code).")
            .Validate(o => o.ConcurrentCatchUps >= 1, "Index:ConcurrentCatchUps must be at least 1.")
            .Validate(
                o => o.FlushInterval > TimeSpan.Zero && o.MaxFlushDelay >= o.FlushInterval,
                "Index:FlushInterval must be above zero and Index:MaxFlushDelay at least as long.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IndexCatchUpGate>();
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

            // Strongly consistent directory: after a host dies a promise never has two activations that could both
            // send a step's texts. Experimental in Orleans 10 (ORLEANSEXP003); see docs/cluster.md.
#pragma warning disable ORLEANSEXP003
            orleans.AddDistributedGrainDirectory();
#pragma warning restore ORLEANSEXP003
            // A person's request waits on grains only until its CallDeadline, retries included.
            orleans.AddOutgoingGrainCallFilter<CallDeadlineFilter>();
            // A call that meets a silo leaving the cluster goes again where the grain lives now.
            orleans.AddOutgoingGrainCallFilter<ClusterCallRetry>();
            // Membership in the same storage account as grain state: one code path for one host or many.
            orleans.UseAzureStorageClustering((OptionsBuilder<AzureStorageClusteringOptions> options) =>
                options.Configure<TableServiceClient>((o, tables) =>
                {
                    o.TableServiceClient = tables;
                    o.TableName = silo.MembershipTableName;
                }));
            // Orleans' binary format: version tolerant through explicit [Id]s, smaller and faster than JSON.
            orleans.AddAzureTableGrainStorageAsDefault(options =>
                options.Configure<TableServiceClient, Serializer>((o, tables, serializer) =>
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
            ?? throw new InvalidOperationException(
                $"Orleans:AdvertisedAddress '{silo.AdvertisedAddress}' does not resolve to an IPv4 address.");
    }
}
