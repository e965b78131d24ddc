using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Commitments.Balancer.Proxy;

/// <summary>
/// Passive health: one request that could not talk to a host takes that host out for the cluster's reactivation
/// period (YARP logs it). YARP's built-in TransportFailureRate waits for a failure rate over at least ten requests
/// a minute, which a quiet cluster may never reach while a dead host keeps being picked.
/// </summary>
internal sealed class TransportFailurePolicy(IDestinationHealthUpdater healthUpdater) : IPassiveHealthCheckPolicy
{
    public const string PolicyName = "TransportFailure";

    private static readonly TimeSpan DefaultReactivationPeriod = TimeSpan.FromSeconds(10);

    public string Name => PolicyName;

    public void RequestProxied(HttpContext context, ClusterState cluster, DestinationState destination)
    {
        var error = context.GetForwarderErrorFeature()?.Error ?? ForwarderError.None;
        // A client that went away says nothing about the host.
        if (!IsHostsFault(error) || context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        var period = cluster.Model.Config.HealthCheck?.Passive?.ReactivationPeriod ?? DefaultReactivationPeriod;
        healthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, period);
    }

    // The failures YARP's own passive policy counts: the host's side of the conversation broke.
    private static bool IsHostsFault(ForwarderError error) => error is ForwarderError.Request
        or ForwarderError.RequestTimedOut
        or ForwarderError.RequestBodyDestination
        or ForwarderError.ResponseBodyDestination
        or ForwarderError.UpgradeRequestDestination
        or ForwarderError.UpgradeResponseDestination;
}
