using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Commitments.Host.Hosting;

/// <summary>
/// Proxies whose X-Forwarded-For/-Proto are believed (section "ForwardedHeaders"); rate limits, sign-in throttling
/// and Secure cookies rely on them. Loopback is trusted by default; any other sender must be listed.
/// </summary>
public sealed class ProxyOptions
{
    /// <summary>Addresses of trusted proxies ("10.0.0.5").</summary>
    public List<string> KnownProxies { get; set; } = [];

    /// <summary>Networks of trusted proxies in CIDR form ("10.0.0.0/24").</summary>
    public List<string> KnownNetworks { get; set; } = [];

    /// <summary>How many proxies in a row are read back from the end of X-Forwarded-For (default 1: one balancer).</summary>
    public int ForwardLimit { get; set; } = 1;
}

internal static class ForwardedHeadersHosting
{
    public static IHostApplicationBuilder AddCommitmentsForwardedHeaders(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ProxyOptions>().BindConfiguration("ForwardedHeaders")
            .Validate(o => o.KnownProxies.All(p => IPAddress.TryParse(p, out _)), "ForwardedHeaders:KnownProxies must be IP addresses.")
            .Validate(
                o => o.KnownNetworks.All(n => System.Net.IPNetwork.TryParse(n, out _)),
                "ForwardedHeaders:KnownNetworks must be networks in CIDR form (10.0.0.0/24).")
            .Validate(o => o.ForwardLimit >= 1, "ForwardedHeaders:ForwardLimit must be at least 1.")
            .ValidateOnStart();
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProxyOptions>>((o, proxies) =>
        {
            var trusted = proxies.Value;
            o.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.ForwardLimit = trusted.ForwardLimit;
            foreach (var proxy in trusted.KnownProxies)
            {
                o.KnownProxies.Add(IPAddress.Parse(proxy));
            }

            foreach (var network in trusted.KnownNetworks)
            {
                o.KnownIPNetworks.Add(System.Net.IPNetwork.Parse(network));
            }
        });
        return builder;
    }
}
