namespace Commitments.Balancer;

/// <summary>Section "Balancer": the hosts to front and how closely to watch them.</summary>
public sealed class BalancerOptions
{
    public const string Section = "Balancer";

    /// <summary>Base URLs of the hosts, e.g. http://127.0.0.1:5081 (env Balancer__Hosts__0=…). No default.</summary>
    public List<string> Hosts { get; set; } = [];

    /// <summary>The path each host answers 200 on while it can take traffic. Default /health/ready.</summary>
    public string HealthPath { get; set; } = "/health/ready";

    /// <summary>How often each host is probed. Default 2 s.</summary>
    public TimeSpan HealthCheckInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe slower than this counts as failed. Default 2 s.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Failed probes in a row before a host gets no new traffic. Default 2.</summary>
    public int HealthCheckFailureThreshold { get; set; } = 2;

    /// <summary>How long a host that could not be reached by a request stays out. Default 10 s.</summary>
    public TimeSpan ReactivationPeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Further hosts a request that never reached a host is tried on. Default 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Larger request bodies are streamed once and not retried. Default 1 MiB.</summary>
    public int MaxReplayBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>The affinity cookie (it carries a hash of the host's address, nothing else).</summary>
    public string AffinityCookieName { get; set; } = ".Commitments.Affinity";

    public IEnumerable<string> Problems()
    {
        foreach (var host in Hosts)
        {
            if (!Uri.TryCreate(host, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                yield return $"Balancer:Hosts has '{host}', which is not an absolute http:// or https:// URL.";
            }
        }
        foreach (var duplicate in Hosts.GroupBy(DestinationId).Where(group => group.Count() > 1))
        {
            yield return $"Balancer:Hosts lists '{duplicate.Key}' more than once.";
        }
        if (!HealthPath.StartsWith('/'))
        {
            yield return $"Balancer:HealthPath must start with '/', not '{HealthPath}'.";
        }
        if (HealthCheckInterval <= TimeSpan.Zero || HealthCheckTimeout <= TimeSpan.Zero || ReactivationPeriod <= TimeSpan.Zero)
        {
            yield return "Balancer:HealthCheckInterval, HealthCheckTimeout and ReactivationPeriod must be positive.";
        }
        if (HealthCheckFailureThreshold < 1)
        {
            yield return "Balancer:HealthCheckFailureThreshold must be at least 1.";
        }
        if (MaxRetries < 0 || MaxReplayBodyBytes < 0)
        {
            yield return "Balancer:MaxRetries and MaxReplayBodyBytes cannot be negative.";
        }
    }

    /// <summary>
    /// A host's id is its URL without a trailing slash: readable in logs, and the affinity hash stays the same
    /// when the list is reordered or another balancer lists the hosts in another order.
    /// </summary>
    public static string DestinationId(string host) => host.Trim().TrimEnd('/');
}
