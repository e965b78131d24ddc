using Microsoft.Extensions.Configuration.Memory;

namespace Commitments.Balancer.Hosting;

/// <summary>
/// What the standalone program uses when nothing else is configured. Kept in code, not appsettings.json, so a
/// project that references this one (the tests) never picks up a settings file.
/// </summary>
internal static class StandaloneDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Values = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:5080",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        // YARP logs every forwarded request and every probe at Information; failures, and hosts going out and
        // coming back, are what an operator needs.
        ["Logging:LogLevel:Yarp"] = "Warning",
        ["Logging:LogLevel:Yarp.ReverseProxy.Health.DestinationHealthUpdater"] = "Information",
        // A host that is down fails every probe; its going out (above) is the line that matters.
        ["Logging:LogLevel:Yarp.ReverseProxy.Health.ActiveHealthCheckMonitor"] = "Error",
    };

    /// <summary>Adds the defaults below every other source, so environment and command line win.</summary>
    public static void AddBalancerDefaults(this IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Values });
}
