using Orleans.Configuration;

namespace Commitments.Host.Cluster;

/// <summary>The silo in this host (section "Orleans"); every host joins through the storage membership table, even alone.</summary>
public sealed class SiloOptions
{
    /// <summary>Silo-to-silo port (default 11111); distinct per host on one machine.</summary>
    public int SiloPort { get; set; } = EndpointOptions.DEFAULT_SILO_PORT;

    /// <summary>Gateway port for external clients (default 30000); distinct per host on one machine.</summary>
    public int GatewayPort { get; set; } = EndpointOptions.DEFAULT_GATEWAY_PORT;

    /// <summary>The service id is part of every stored key (default "commitments"); never change it for stored data.</summary>
    public string ServiceId { get; set; } = "commitments";

    /// <summary>The cluster this host joins, the same on all its hosts (default <see cref="ServiceId"/>).</summary>
    public string? ClusterId { get; set; }

    /// <summary>The IP or host name other silos reach this one at (default 127.0.0.1 in Development, else this machine's).</summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>The membership table in the storage account (default "OrleansSiloInstances").</summary>
    public string MembershipTableName { get; set; } = "OrleansSiloInstances";

    /// <summary>How long one liveness probe may take (default 2 s).</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Missed probes in a row before a silo is suspected (default 3).</summary>
    public int MissedProbesLimit { get; set; } = 3;

    /// <summary>Suspicions that declare a silo dead (default 2; one is enough in a cluster of two).</summary>
    public int VotesForDeathDeclaration { get; set; } = 2;

    /// <summary>How long an idle grain stays in memory (default Orleans' 15 minutes; over 1 minute).</summary>
    public TimeSpan? CollectionAge { get; set; }

    public string EffectiveClusterId => string.IsNullOrWhiteSpace(ClusterId) ? ServiceId : ClusterId;
}
