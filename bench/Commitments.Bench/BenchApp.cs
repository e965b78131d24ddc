extern alias host;
extern alias localtwilio;

using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;

namespace Commitments.Bench;

/// <summary>The real host for a bench run: Production settings, the bench's Azurite and local Twilio, a fast sender.</summary>
internal sealed class BenchApp(
    AzuriteFixture azurite, LocalTwilioServer fake, string table, int port, IReadOnlyDictionary<string, string>? extra = null, bool texting = true)
    : HostFactory<host::Program>("Production", Settings(azurite, fake, table, port, extra, texting), pinHashIterations: 1)
{
    /// <summary>Starts the host on a loopback Kestrel port; without <paramref name="texting"/> texts wait in the outbox (no Twilio section).</summary>
    public static BenchApp Start(
        AzuriteFixture azurite, LocalTwilioServer fake, string table, int port, IReadOnlyDictionary<string, string>? extra = null, bool texting = true)
    {
        var app = new BenchApp(azurite, fake, table, port, extra, texting);
        app.Listen(port);
        return app;
    }

    private static Dictionary<string, string?> Settings(
        AzuriteFixture azurite, LocalTwilioServer fake, string table, int port, IReadOnlyDictionary<string, string>? extra, bool texting)
    {
        var settings = BenchHost.Settings(azurite, fake, table, port);
        if (!texting)
        {
            foreach (var key in settings.Keys.Where(k => k.StartsWith("Twilio:", StringComparison.Ordinal)).ToList())
            {
                settings.Remove(key);
            }
        }

        settings["Logging:LogLevel:Default"] = "Error";
        if (texting)
        {
            // A high-throughput sender (a short code): the cap is not what is measured here.
            settings["Twilio:MessagesPerSecond"] = "5000";
            settings["Twilio:MaxConcurrentRequests"] = "64";
        }

        // Deadlines a few seconds ahead, so the bench need not wait a minute per scenario.
        settings["Ledger:MinimumLead"] = "00:00:05";
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            settings[key] = value;
        }

        return settings;
    }
}
