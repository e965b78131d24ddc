namespace Commitments.Host.Cluster;

/// <summary>What this host learns from cluster membership when it starts.</summary>
internal static class ClusterMembership
{
    /// <summary>
    /// Whether another silo is active in the cluster: a host joining a running cluster leaves the
    /// start-up passes (every site's texts and escalations) to the hosts already running it.
    /// </summary>
    public static bool OthersActive(IClusterMembershipService membership, SiloAddress self) =>
        membership.CurrentSnapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self));

    /// <summary>
    /// Whether this host joined a running cluster: an active silo started before it. Hosts started
    /// together each see the others active, and only the oldest runs the start-up passes. A row left
    /// active by a crashed earlier run counts until it is declared dead, and that death queues a pass.
    /// </summary>
    public static bool JoinedRunningCluster(IClusterMembershipService membership, SiloAddress self) =>
        membership.CurrentSnapshot.Members.Values.Any(m =>
            m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self) && m.SiloAddress.Generation < self.Generation);

    /// <summary>Each membership view in which one or more silos were newly declared dead.</summary>
    public static async IAsyncEnumerable<ClusterMembershipSnapshot> SiloDeathsAsync(
        IClusterMembershipService membership, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var dead = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
        {
            if (snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).Where(dead.Add).ToList().Count > 0)
            {
                yield return snapshot;
            }
        }
    }
}

internal static class HostLifetime
{
    /// <summary>Completes once the silo and the web server have started (grains are callable), or throws when stopping.</summary>
    public static async Task WhenStartedAsync(this IHostApplicationLifetime lifetime, CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
    }
}
