using System.Globalization;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.SessionAffinity;

namespace Commitments.Balancer.Proxy;

/// <summary>Turns Balancer:Hosts into one YARP route (every path) and one cluster.</summary>
internal static class BalancerProxyConfig
{
    public const string RouteId = "commitments";
    public const string ClusterId = "commitments";

    public static IReadOnlyList<RouteConfig> Routes(BalancerOptions options) => options.Hosts.Count == 0
        ? []
        :
        [
            new RouteConfig
            {
                RouteId = RouteId,
                ClusterId = ClusterId,
                Match = new RouteMatch { Path = "{**catch-all}" },
            },
        ];

    public static IReadOnlyList<ClusterConfig> Clusters(BalancerOptions options) => options.Hosts.Count == 0
        ? []
        :
        [
            new ClusterConfig
            {
                ClusterId = ClusterId,
                Destinations = options.Hosts.ToDictionary(
                    BalancerOptions.DestinationId,
                    host => new DestinationConfig { Address = host.Trim() }),
                // Blazor Server circuits and SignalR connections live in one host's memory: a browser stays there.
                // A hash of the host's id, so every balancer in front of the same hosts agrees on the cookie; when
                // that host is out, Redistribute sends the browser to a live one and the cookie follows.
                SessionAffinity = new SessionAffinityConfig
                {
                    Enabled = true,
                    Policy = SessionAffinityConstants.Policies.HashCookie,
                    FailurePolicy = SessionAffinityConstants.FailurePolicies.Redistribute,
                    AffinityKeyName = options.AffinityCookieName,
                    Cookie = new SessionAffinityCookieConfig
                    {
                        HttpOnly = true,
                        IsEssential = true,
                        SameSite = SameSiteMode.Lax,
                        SecurePolicy = CookieSecurePolicy.SameAsRequest,
                    },
                },
                HealthCheck = new HealthCheckConfig
                {
                    Active = new ActiveHealthCheckConfig
                    {
                        Enabled = true,
                        Interval = options.HealthCheckInterval,
                        Timeout = options.HealthCheckTimeout,
                        Policy = HealthCheckConstants.ActivePolicy.ConsecutiveFailures,
                        Path = options.HealthPath,
                    },
                    Passive = new PassiveHealthCheckConfig
                    {
                        Enabled = true,
                        Policy = TransportFailurePolicy.PolicyName,
                        ReactivationPeriod = options.ReactivationPeriod,
                    },
                    AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
                },
                Metadata = new Dictionary<string, string>
                {
                    [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = options.HealthCheckFailureThreshold.ToString(CultureInfo.InvariantCulture),
                },
            },
        ];
}
