namespace Commitments.Host.Hosting;

/// <summary>What this host learns from cluster membership when it starts.</summary>
internal static class ClusterMembership
{
    /// <summary>
    /// Whether another silo is active in the cluster: a host joining a running cluster leaves the
    /// start-up passes (every site's texts and escalations) to the hosts already running it.
    /// </summary>
    public static bool OthersActive(IClusterMembershipService membership, SiloAddress self) =>
        membership.CurrentSnapshot.Members.Values.Any(m => m.Status == SiloStatus.Active && !m.SiloAddress.Equals(self));
}
