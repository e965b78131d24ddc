extern alias localtwilio;

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;

namespace Commitments.Bench.Cluster;

/// <summary>
/// Real host processes forming one cluster (Azurite, Redis, the local Twilio, all on this machine):
/// durable creates/s through the HTTP API with one host and with three; failover after <c>kill -9</c>
/// of one host (first successful read of each promise, membership's declaration, lateness of the
/// escalation steps due meanwhile); and a host's memory as open promises grow.
/// </summary>
internal static class ClusterBenchmark
{
    private const string Site = "demo";

    /// <summary>Runs the parts named in <paramref name="only"/>: t(hroughput), f(ailover), m(emory).</summary>
    public static async Task RunAsync(int creates, int callers, int promises, int memoryPromises, string only = "tfm")
    {
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        await using var redis = new RedisFixture();
        await redis.InitializeAsync();
        await using var fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = BenchHost.OurNumber }],
            Lifecycle = new LifecycleOptions { Auto = true, StepDelay = TimeSpan.FromMilliseconds(20) },
        });
        using var control = new HttpClient { BaseAddress = fake.BaseUrl };
        var table = azurite.NewTableName("benchcluster");
        var clusterId = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var ports = Enumerable.Range(0, 3).Select(_ => (Http: AzuriteFixture.GetFreeTcpPort(), Silo: AzuriteFixture.GetFreeTcpPort(), Gateway: AzuriteFixture.GetFreeTcpPort())).ToArray();

        Task<HostProcess> Start(int i) => HostProcess.StartAsync(azurite, table, new Dictionary<string, string>(HostSettings(fake, ports[0].Http))
        {
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__SiloPort"] = ports[i].Silo.ToString(CultureInfo.InvariantCulture),
            ["Orleans__GatewayPort"] = ports[i].Gateway.ToString(CultureInfo.InvariantCulture),
            ["Hangfire__Storage"] = "redis",
            ["Hangfire__Redis"] = redis.Configuration,
            ["Twilio__MessagesPerSecond"] = "1000",
            ["Ledger__MinimumLead"] = "00:00:00.500",
            ["Escalation__JobLead"] = "00:00:02",
            ["Escalation__PerPersonInterval"] = "00:00:00",
            ["Hangfire__SchedulePollingInterval"] = "00:00:00.200",
        }, ports[i].Http);

        var hosts = new HostProcess?[3];
        try
        {
            var cookies = new CookieContainer();
            if (only.Contains('t', StringComparison.Ordinal) || only.Contains('f', StringComparison.Ordinal))
            {
                // Throughput: one host, then the same cluster with three.
                Console.WriteLine("Cluster: durable creates through the HTTP API, one host, then three in one cluster (same run):");
                hosts[0] = await Start(0);
                using (await hosts[0]!.SignInAsync("desk1", "1111", cookies: cookies))
                {
                }

                if (only.Contains('t', StringComparison.Ordinal))
                {
                    await CreatesAsync([hosts[0]!], cookies, Math.Min(1000, creates), callers, "warm-up, 1 host");
                    var one = await CreatesAsync([hosts[0]!], cookies, creates, callers, "1 host");
                    var joined = await Task.WhenAll(Start(1), Start(2));
                    hosts[1] = joined[0];
                    hosts[2] = joined[1];
                    await CreatesAsync([.. hosts.Select(h => h!)], cookies, Math.Min(1000, creates), callers, "warm-up, 3 hosts");
                    var three = await CreatesAsync([.. hosts.Select(h => h!)], cookies, creates, callers, "3 hosts");
                    Console.WriteLine($"  ratio 3 hosts / 1 host: {three / one:0.00}");
                }
                else
                {
                    var joined = await Task.WhenAll(Start(1), Start(2));
                    hosts[1] = joined[0];
                    hosts[2] = joined[1];
                }
            }

            if (only.Contains('f', StringComparison.Ordinal))
            {
                await FailoverAsync(hosts!, cookies, control, azurite, clusterId, ports[1].Silo, promises);
            }

            // Memory: one host alone holds every promise it is asked for.
            foreach (var host in hosts.Where(h => h is not null))
            {
                host!.Dispose();
            }

            if (only.Contains('m', StringComparison.Ordinal))
            {
                await MemoryAsync(azurite, clusterId + "m", memoryPromises, callers, fake);
            }
        }
        finally
        {
            foreach (var host in hosts.Where(h => h is not null))
            {
                host!.Dispose();
            }
        }
    }

    private static async Task<double> CreatesAsync(HostProcess[] hosts, CookieContainer cookies, int count, int callers, string label)
    {
        var clients = hosts.Select(h => h.NewClient(cookies)).ToArray();
        var next = -1;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, callers).Select(async caller =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < count)
            {
                var response = await clients[n % clients.Length].PostAsJsonAsync($"/api/sites/{Site}/commitments", new
                {
                    what = $"Bench {label} {n}",
                    customer = new { name = "Guest", room = "1" },
                    dueAt = DateTimeOffset.UtcNow.AddHours(6).ToString("O"),
                });
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        var rate = count / clock.Elapsed.TotalSeconds;
        Console.WriteLine($"  durable creates through HTTP, {label}: {count} by {callers} callers in {clock.Elapsed.TotalSeconds:0.0} s = {rate:0}/s ({failed} failed)");
        foreach (var client in clients)
        {
            client.Dispose();
        }

        return rate;
    }

    private static async Task FailoverAsync(HostProcess[] hosts, CookieContainer cookies, HttpClient control, AzuriteFixture azurite, string clusterId, int killedSiloPort, int promises)
    {
        Console.WriteLine($"Failover: {promises} promises read through the cluster, {promises / 3} more due in the seconds after kill -9 of host B:");
        using var a = hosts[0].NewClient(cookies);
        using var c = hosts[2].NewClient(cookies);
        using var manager = await hosts[0].SignInAsync("mgr1", "999999");
        (await manager.PutAsJsonAsync($"/api/sites/{Site}/teams/front-desk/policy", new
        {
            remindBefore = "00:00:00",
            levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } } },
            maxRepeats = 0,
            customerApologyAfter = "01:00:00",
        })).EnsureSuccessStatusCode();

        // Promises activated across the three silos (each read once through a different host).
        var ids = new List<Guid>();
        using (var b = hosts[1].NewClient(cookies))
        {
            var spread = new[] { a, b, c };
            for (var i = 0; i < promises; i++)
            {
                var created = await spread[i % 3].PostAsJsonAsync($"/api/sites/{Site}/commitments", new
                {
                    what = $"Failover {i}",
                    customer = new { name = "Guest", room = "1" },
                    dueAt = DateTimeOffset.UtcNow.AddHours(6).ToString("O"),
                });
                created.EnsureSuccessStatusCode();
                ids.Add((await JsonDocument.ParseAsync(await created.Content.ReadAsStreamAsync())).RootElement.GetProperty("id").GetGuid());
            }
        }

        // Steps due 2-10 s after the kill, each texting its owner.
        var killAt = DateTimeOffset.UtcNow.AddSeconds(8);
        var due = new Dictionary<string, DateTimeOffset>();
        var dueIds = new Dictionary<string, string>();
        for (var i = 0; i < promises / 3; i++)
        {
            var what = $"Due{i:D4}x";
            var at = killAt.AddMilliseconds(2000 + (8000.0 * i / (promises / 3)));
            var made = await a.PostAsJsonAsync($"/api/sites/{Site}/commitments", new { what, customer = new { name = "Guest", room = "2" }, dueAt = at.ToString("O") });
            made.EnsureSuccessStatusCode();
            due[what] = at;
            dueIds[what] = made.Headers.Location!.ToString();
        }

        if (killAt > DateTimeOffset.UtcNow)
        {
            await Task.Delay(killAt - DateTimeOffset.UtcNow);
        }
        var membership = azurite.ConnectionString;
        hosts[1].Kill();
        var killed = Stopwatch.StartNew();
        var declared = WatchDeclarationAsync(membership, clusterId, killedSiloPort, killed);

        // Each promise polled from the kill on (A and C in turn) until it answers.
        var firstAnswer = new ConcurrentBag<double>();
        await Task.WhenAll(ids.Select(async (id, i) =>
        {
            var client = i % 2 == 0 ? a : c;
            while (true)
            {
                try
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                    var response = await client.GetAsync($"/api/sites/{Site}/commitments/{id}", timeout.Token);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        firstAnswer.Add(killed.Elapsed.TotalMilliseconds);
                        return;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException)
                {
                }

                await Task.Delay(50);
            }
        }));
        var declaredAfter = await declared;
        var sorted = firstAnswer.Order().ToList();
        var waited = sorted.Where(ms => ms > 500).ToList();
        Console.WriteLine($"  membership declared B dead {declaredAfter.TotalSeconds:0.00} s after the kill");
        Console.WriteLine($"  first answer after the kill, all {sorted.Count}: p50 {Percentile(sorted, 0.5):0} ms, p99 {Percentile(sorted, 0.99):0} ms, max {sorted[^1]:0} ms");
        if (waited.Count > 0)
        {
            Console.WriteLine($"  of those, the {waited.Count} that waited for the failure to be settled (> 0.5 s): p50 {Percentile(waited, 0.5):0} ms, p99 {Percentile(waited, 0.99):0} ms, max {waited[^1]:0} ms");
        }

        // Lateness of each step due in the failure: the owner's text at the local Twilio against the step's moment.
        var until = DateTimeOffset.UtcNow.AddSeconds(90);
        List<(string Body, DateTimeOffset Created)> texts;
        do
        {
            await Task.Delay(500);
            texts = [.. (await control.GetFromJsonAsync<JsonElement>($"/_fake/messages?to={Uri.EscapeDataString("+12025550141")}"))
                .EnumerateArray()
                .Where(m => m.GetProperty("direction").GetString() != "inbound")
                .Select(m => (m.GetProperty("body").GetString()!, m.GetProperty("dateCreated").GetDateTimeOffset()))];
        }
        while (due.Keys.Count(what => texts.Any(t => t.Body.Contains(what, StringComparison.Ordinal))) < due.Count && DateTimeOffset.UtcNow < until);

        var lateness = new List<double>();
        var twice = 0;
        foreach (var (what, at) in due)
        {
            var mine = texts.Where(t => t.Body.Contains(what, StringComparison.Ordinal)).OrderBy(t => t.Created).ToList();
            if (mine.Count > 1)
            {
                twice++;
            }

            if (mine.Count > 0)
            {
                lateness.Add((mine[0].Created - at).TotalMilliseconds);
                if (mine[0].Created - at > declaredAfter + TimeSpan.FromSeconds(2))
                {
                    // Why this one was late, in its own words.
                    var history = (await c.GetFromJsonAsync<JsonElement>(dueIds[what])).GetProperty("history");
                    Console.WriteLine($"  late by {(mine[0].Created - at).TotalSeconds:0.0} s: {what} due {at:HH:mm:ss.fff}, {history.EnumerateArray().Last()}");
                }
            }
        }

        lateness.Sort();
        Console.WriteLine($"  steps due in the 2-10 s after the kill: {lateness.Count} of {due.Count} texted, {twice} twice; lateness p50 {Percentile(lateness, 0.5):0} ms, p99 {Percentile(lateness, 0.99):0} ms, max {(lateness.Count > 0 ? lateness[^1] : 0):0} ms");
    }

    /// <summary>Polls the membership table until the killed silo's row says Dead.</summary>
    private static async Task<TimeSpan> WatchDeclarationAsync(string connectionString, string clusterId, int siloPort, Stopwatch since)
    {
        var rows = new TableServiceClient(connectionString).GetTableClient("OrleansSiloInstances");
        while (since.Elapsed < TimeSpan.FromMinutes(2))
        {
            await foreach (var row in rows.QueryAsync<TableEntity>(e => e.PartitionKey == clusterId))
            {
                if (row.GetString("Port") == siloPort.ToString(CultureInfo.InvariantCulture) && row.GetString("Status") == "Dead")
                {
                    return since.Elapsed;
                }
            }

            await Task.Delay(100);
        }

        return TimeSpan.MaxValue;
    }

    private static async Task MemoryAsync(AzuriteFixture azurite, string clusterId, int count, int callers, LocalTwilioServer fake)
    {
        Console.WriteLine($"Memory: one host, {count} open promises made through HTTP (idle grains deactivated after Orleans:CollectionAge = 2 minutes):");
        var table = azurite.NewTableName("benchmemory");
        var port = AzuriteFixture.GetFreeTcpPort();
        using var host = await HostProcess.StartAsync(azurite, table, new Dictionary<string, string>(HostSettings(fake, port))
        {
            ["Orleans__ClusterId"] = clusterId,
            ["Orleans__CollectionAge"] = "00:02:00",
        }, port);
        var cookies = new CookieContainer();
        using (await host.SignInAsync("desk1", "1111", cookies: cookies))
        {
        }

        Console.WriteLine($"  at start: RSS {host.ResidentMegabytes():0} MB");
        var step = Math.Max(1, count / 4);
        for (var made = 0; made < count; made += step)
        {
            await CreatesAsync([host], cookies, step, callers, $"{made + step} open");
            Console.WriteLine($"  {made + step} open promises, activations live: RSS {host.ResidentMegabytes():0} MB");
        }

        // Idle promises deactivate after the collection age (Orleans collects in passes a little after it).
        await Task.Delay(TimeSpan.FromSeconds(240));
        Console.WriteLine($"  {count} open promises, idle ones deactivated: RSS {host.ResidentMegabytes():0} MB");
    }

    /// <summary>What every host of this benchmark shares: texts through the local Twilio (its callbacks to <paramref name="publicPort"/>), no rate limit, quiet logs.</summary>
    private static Dictionary<string, string> HostSettings(LocalTwilioServer fake, int publicPort) => new()
    {
        ["Twilio__AccountSid"] = fake.Options.AccountSid!,
        ["Twilio__ApiKeySid"] = fake.Options.ApiKeySid!,
        ["Twilio__ApiKeySecret"] = fake.Options.ApiKeySecret!,
        ["Twilio__AuthToken"] = fake.Options.AuthToken!,
        ["Twilio__From"] = BenchHost.OurNumber,
        ["Twilio__BaseUrl"] = fake.BaseUrl.ToString(),
        ["Twilio__PublicBaseUrl"] = $"http://127.0.0.1:{publicPort}",
        ["RateLimiting__PermitLimit"] = "10000000",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Information",
    };

    private static double Percentile(List<double> sorted, double p) => sorted.Count == 0 ? double.NaN : BenchHost.Percentile(sorted, p);
}
