namespace Commitments.Host.Cluster;

/// <summary>What this host learns from cluster membership when it starts.</summary>
internal static class ClusterMembership
{
    /// <summary>Whether another silo is active; a joining host leaves the start-up passes to those already running.</summary>
    public static bool OthersActive(IClusterMembershipService membership, SiloAddress self) =>
        membership.CurrentSnapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self));

    /// <summary>
    /// Whether an active silo started before this one, so only the oldest of hosts started together runs the start-up passes.
    /// A crashed run's stale row counts until declared dead, and that death queues a pass.
    /// </summary>
    public static bool JoinedRunningCluster(IClusterMembershipService membership, SiloAddress self) =>
        membership.CurrentSnapshot.Members.Values.Any(m =>
            m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self) && m.SiloAddress.Generation < self.Generation);

    /// <summary>Each membership view in which one or more silos were newly declared dead.</summary>
    public static async IAsyncEnumerable<ClusterMembershipSnapshot> SiloDeathsAsync(
        IClusterMembershipService membership,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var dead = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).ToHashSet();
        await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
        {
            if (snapshot.Members.Values
                .Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress).Where(dead.Add).ToList().Count > 0)
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
