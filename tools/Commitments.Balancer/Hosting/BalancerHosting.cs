using Commitments.Balancer.Proxy;
using Microsoft.Extensions.Options;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Health;

namespace Commitments.Balancer.Hosting;

internal static class BalancerHosting
{
    public const string ReverseProxySection = "ReverseProxy";

    /// <summary>
    /// Registers YARP with one cluster built from Balancer:Hosts, plus whatever a standard "ReverseProxy" section
    /// adds. Without <paramref name="options"/> they bind from the "Balancer" section; a bad value fails start-up
    /// with every problem named.
    /// </summary>
    public static IHostApplicationBuilder AddCommitmentsBalancer(this IHostApplicationBuilder builder, BalancerOptions? options = null)
    {
        // Read once here rather than through IOptions: the in-memory proxy config is built at registration.
        options ??= builder.Configuration.GetSection(BalancerOptions.Section).Get<BalancerOptions>() ?? new BalancerOptions();
        var proxySection = builder.Configuration.GetSection(ReverseProxySection);
        var problems = options.Problems().ToList();
        if (options.Hosts.Count == 0 && !proxySection.Exists())
        {
            problems.Add("No hosts to balance: set Balancer:Hosts (e.g. --Balancer:Hosts:0=http://127.0.0.1:5081) or a ReverseProxy section.");
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(string.Join(Environment.NewLine, problems));
        }

        builder.Services.AddSingleton(Options.Create(options));
        builder.Services.AddSingleton<IPassiveHealthCheckPolicy, TransportFailurePolicy>();
        builder.Services.AddReverseProxy()
            .LoadFromMemory(BalancerProxyConfig.Routes(options), BalancerProxyConfig.Clusters(options))
            .LoadFromConfig(proxySection);
        return builder;
    }

    public static WebApplication MapCommitmentsBalancer(this WebApplication app)
    {
        // The balancer's own liveness, never forwarded (a literal route outranks the proxy's catch-all).
        app.MapGet("/balancer/health", (IProxyStateLookup proxy) =>
        {
            var destinations = proxy.GetClusters().SelectMany(cluster => cluster.DestinationsState.AllDestinations).Count();
            var available = proxy.GetClusters().SelectMany(cluster => cluster.DestinationsState.AvailableDestinations).Count();
            return TypedResults.Ok(new BalancerHealth("Healthy", destinations, available));
        });

        // YARP's standard steps, wrapped by the retry so each attempt picks its host afresh.
        app.MapReverseProxy(proxy =>
        {
            proxy.UseMiddleware<RetryOnAnotherHost>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        });
        return app;
    }
}

/// <summary>What /balancer/health answers: counts only, no addresses.</summary>
internal sealed record BalancerHealth(string Status, int Hosts, int HostsAvailable);
