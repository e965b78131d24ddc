extern alias localtwilio;

using System.Net;
using System.Net.Http.Json;
using Commitments.Host.Tests.Escalation;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;

namespace Commitments.Host.Tests.Cluster;

/// <summary>
/// Three hosts as child processes forming one Orleans cluster, as a hotel group runs them: Production
/// settings (https, certificate-encrypted keys, the bootstrap site), membership and grain state in
/// one Azurite, Hangfire in one real Redis, texts through one local Twilio.
/// </summary>
public sealed class ClusterFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public const string Site = "harbor";
    public const string ManagerPin = "246810";
    public const string DeskMobile = "+12025550141";
    public const string LeadMobile = "+12025550142";
    public const string ManagerMobile = "+12025550145";

    private readonly RedisFixture _redis = new();
    private readonly string _table = azurite.NewTableName("cluster");
    private readonly string _clusterId = "cluster-" + Guid.NewGuid().ToString("N")[..12];
    private readonly HostPorts[] _ports = [.. Enumerable.Range(0, 3).Select(_ => HostPorts.Pick())];

    private readonly List<string> _earlierOutput = [];

    /// <summary>What every host printed, stopped ones included, for a failing test's message.</summary>
    public string Output => string.Join('\n', _earlierOutput.Concat(Hosts.Where(h => h is not null).Select(h => h.Output)));

    public LocalTwilioServer Twilio { get; private set; } = null!;

    /// <summary>The local Twilio's control API.</summary>
    public HttpClient Control { get; private set; } = null!;

    public HostProcess[] Hosts { get; } = new HostProcess[3];

    public HostProcess A => Hosts[0];

    public HostProcess B => Hosts[1];

    public HostProcess C => Hosts[2];

    public async ValueTask InitializeAsync()
    {
        await _redis.InitializeAsync();
        Twilio = await EscalationCrashTests.StartFakeTwilioAsync();
        Control = new HttpClient { BaseAddress = Twilio.BaseUrl };

        // The first host starts the cluster (and runs its start-up passes); the others join it.
        Hosts[0] = await StartOnFreePortsAsync(0);
        var joining = await Task.WhenAll(StartOnFreePortsAsync(1), StartOnFreePortsAsync(2));
        Hosts[1] = joining[0];
        Hosts[2] = joining[1];

        using var manager = await SignInAsync(A, "boss", ManagerPin);
        foreach (var (team, name) in new[] { ("front-desk", "Front desk"), ("housekeeping", "Housekeeping") })
        {
            (await manager.PutAsJsonAsync($"/api/sites/{Site}/teams/{team}", new { name })).EnsureSuccessStatusCode();
        }

        foreach (var person in new object[]
        {
            new { id = "desk1", name = "Dana Whitfield", mobile = DeskMobile, role = "frontdesk", team = "front-desk", pin = "1111" },
            new { id = "hk1", name = "Maria Lopez", mobile = LeadMobile, role = "staff", team = "housekeeping", pin = "2222", lead = true },
        })
        {
            (await manager.PostAsJsonAsync($"/api/sites/{Site}/staff", person)).StatusCode.ShouldBe(HttpStatusCode.Created);
        }

        // Mobiles a manager typed get staff texts once each phone answers its code, as its owner would
        // (the phones' replies reach the cluster through the first host, as Twilio's webhook would).
        (await Control.PutAsJsonAsync($"/_fake/numbers/{Uri.EscapeDataString(Texts.TextingApp.OurNumber)}",
            new { smsUrl = $"http://127.0.0.1:{_ports[0].Http}/webhooks/twilio/inbound" })).EnsureSuccessStatusCode();
        foreach (var (id, mobile) in new[] { ("desk1", DeskMobile), ("hk1", LeadMobile) })
        {
            await Texts.TextingApp.AnswerVerificationAsync(Control, mobile);
            await Texts.TextingApp.EventuallyAsync(
                () => manager.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/sites/{Site}/staff/{id}"),
                staff => staff.GetProperty("mobileVerified").GetBoolean(),
                $"{id}'s phone verified");
        }

        // Escalation on a clock of seconds: the owner at the deadline, the managers a second later.
        (await manager.PutAsJsonAsync($"/api/sites/{Site}/teams/front-desk/policy", new
        {
            remindBefore = "00:00:00",
            levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } }, new { after = "00:00:01", notify = new[] { "managers" } } },
            maxRepeats = 0,
            customerApologyAfter = "01:00:00",
        })).EnsureSuccessStatusCode();
    }

    /// <summary>Starts host <paramref name="index"/> again on its own ports (after a kill or a stop): it rejoins the cluster.</summary>
    public async Task RestartAsync(int index)
    {
        _earlierOutput.Add(Hosts[index].Output);
        Hosts[index].Dispose();
        Hosts[index] = await StartAsync(index);
    }

    public static async Task<HttpClient> SignInAsync(HostProcess host, string staff, string pin, CookieContainer? cookies = null)
    {
        var client = host.NewClient(cookies);
        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site = Site, staff, pin });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return client;
    }

    /// <summary>What the local Twilio sent (outbound only): recipient and body.</summary>
    public async Task<List<(string To, string Body)>> SentAsync() =>
        [.. (await Control.GetFromJsonAsync<System.Text.Json.JsonElement>("/_fake/messages"))
            .EnumerateArray()
            .Where(m => m.GetProperty("direction").GetString() != "inbound")
            .Select(m => (m.GetProperty("to").GetString()!, m.GetProperty("body").GetString()!))];

    // A port free a moment ago can be taken by another test's process before the host binds it: pick again.
    private async Task<HostProcess> StartOnFreePortsAsync(int index)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartAsync(index);
            }
            catch (InvalidOperationException ex) when (attempt < 5 && ex.Message.Contains("already in use", StringComparison.OrdinalIgnoreCase))
            {
                _ports[index] = HostPorts.Pick();
            }
        }
    }

    private Task<HostProcess> StartAsync(int index)
    {
        var ports = _ports[index];
        var environment = EscalationCrashTests.Environment(Twilio, _ports[0].Http);
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        environment["Orleans__ClusterId"] = _clusterId;
        environment["Orleans__SiloPort"] = ports.Silo.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Orleans__GatewayPort"] = ports.Gateway.ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["Orleans__AdvertisedAddress"] = "127.0.0.1";
        environment["Hangfire__Storage"] = "redis";
        environment["Hangfire__Redis"] = _redis.Configuration;
        environment["RateLimiting__PermitLimit"] = "100000";
        // The sender's pace holds for the cluster as a whole: fast enough for the load test's texts.
        environment["Twilio__MessagesPerSecond"] = "200";
        // The build as it is (not published): its static assets come from the build manifest.
        environment["Web__ServeBuildAssets"] = "true";
        environment["Bootstrap__Site__Id"] = Site;
        environment["Bootstrap__Site__Name"] = "Harbor Hotel";
        environment["Bootstrap__Site__TimeZone"] = "America/New_York";
        environment["Bootstrap__Site__PhoneRegion"] = "US";
        environment["Bootstrap__Manager__Id"] = "boss";
        environment["Bootstrap__Manager__Name"] = "Priya Nair";
        environment["Bootstrap__Manager__Mobile"] = ManagerMobile;
        environment["Bootstrap__Manager__Pin"] = ManagerPin;
        environment["Logging__LogLevel__Default"] = "Warning";
        environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information";
        return HostProcess.StartAsync(azurite, _table, environment, ports.Http, https: true, httpsPort: ports.Https);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var host in Hosts.Where(h => h is not null))
        {
            host.Dispose();
        }

        Control?.Dispose();
        if (Twilio is not null)
        {
            await Twilio.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private sealed record HostPorts(int Http, int Https, int Silo, int Gateway)
    {
        public static HostPorts Pick() => new(AzuriteFixture.GetFreeTcpPort(), AzuriteFixture.GetFreeTcpPort(), AzuriteFixture.GetFreeTcpPort(), AzuriteFixture.GetFreeTcpPort());
    }
}
