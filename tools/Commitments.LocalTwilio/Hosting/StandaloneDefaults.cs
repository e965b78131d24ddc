using Microsoft.Extensions.Configuration.Memory;

namespace Commitments.LocalTwilio.Hosting;

/// <summary>
/// What the standalone program uses when nothing else is configured. Kept in code, not appsettings.json,
/// so a project that references or launches this one never picks up (or clobbers) a settings file.
/// </summary>
internal static class StandaloneDefaults
{
    public static readonly IReadOnlyDictionary<string, string?> Values = new Dictionary<string, string?>
    {
        ["Urls"] = "http://127.0.0.1:5090",
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["LocalTwilio:PhoneNumbers:0:Number"] = "+12025550100",
        ["LocalTwilio:MessagingServices:0:Sid"] = "MG10ca1000000000000000000000000000",
        ["LocalTwilio:MessagingServices:0:Numbers:0"] = "+12025550101",
        ["LocalTwilio:MessagingServices:0:Numbers:1"] = "+12025550102",
    };

    /// <summary>Adds the defaults below every other source, so appsettings, environment and command line win.</summary>
    public static void AddLocalTwilioDefaults(this IConfigurationBuilder configuration) =>
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = Values });
}
