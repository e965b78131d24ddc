extern alias host;
extern alias localtwilio;

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Bench.Escalation;

/// <summary>
/// Lateness of escalation, from each promise's deadline to its level-1 text arriving at the local
/// Twilio, through the real host (Hangfire in-memory, Azurite, the dispatcher): (a) promises due
/// evenly across one minute, (b) promises due at the same second, and (a) again with the host
/// restarted in the middle of the minute. Each owner owns one promise, so the per-person limit
/// never holds a text back. Beside it, Hangfire alone with jobs due at one instant.
/// </summary>
internal static class EscalationBenchmark
{
    private const string OurNumber = BenchHost.OurNumber;
    private const int StaffPerSite = 100;

    /// <param name="spread">How many promises (a) spreads over a minute.</param>
    /// <param name="burst">How many promises (b) makes due at one second.</param>
    /// <param name="only">
    /// Which parts to run: "h" Hangfire alone, "t" the Twilio client alone, "a", "b", "c" (a with a restart), "d" (c with
    /// Hangfire's jobs in Redis), "e" (2,000 promises across a minute at one hotel with <paramref name="big"/> more open),
    /// "f" (c with 20,000 more open promises whose jobs the restart puts back too).
    /// </param>
    /// <param name="big">How many more open promises (e)'s hotel has.</param>
    public static async Task RunAsync(int spread, int burst, string only = "htabcd", int big = 100_000)
    {
        if (only.Contains('h', StringComparison.Ordinal))
        {
            await HangfireAloneAsync(spread, burst);
        }

        await using var azurite = new AzuriteFixture { InMemory = Environment.GetEnvironmentVariable("BENCH_AZURITE_IN_MEMORY") == "1" };
        await azurite.InitializeAsync();
        await using var fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = OurNumber }],
            Lifecycle = new LifecycleOptions { Auto = false },
        });
        using var control = new HttpClient { BaseAddress = fake.BaseUrl };
        var table = azurite.NewTableName("benchesc");
        BenchHost.UseHostContentRoot();
        var port = AzuriteFixture.GetFreeTcpPort();
        var app = Start(azurite, fake, table, port);
        try
        {
            if (only.Contains('t', StringComparison.Ordinal))
            {
                await TwilioAlone(app, control, burst);
            }

            if (only.Contains('a', StringComparison.Ordinal))
            {
                Console.WriteLine($"(a) {spread} promises due evenly across one minute:");
                var a = await Scenario(app, "a", 0, spread, TimeSpan.FromMinutes(1));
                using var operations = new StorageOperations();
                await ReportScenario(control, a, null);
                Console.WriteLine($"  storage operations from set-up done to the report: {operations.Describe(spread)}");
            }

            if (only.Contains('e', StringComparison.Ordinal))
            {
                // One hotel: 2,000 staff each owning one promise due across the minute, and a big site's other open promises.
                const int atBigSite = 2000;
                Console.WriteLine($"(e) {atBigSite} promises due evenly across one minute at one hotel with {big} more open:");
                var e = await Scenario(app, "e", 5, atBigSite, TimeSpan.FromMinutes(1), staffPerSite: atBigSite, fill: big);
                using var operations = new StorageOperations();
                await ReportScenario(control, e, null);
                Console.WriteLine($"  storage operations from set-up done to the report: {operations.Describe(atBigSite)}");
            }

            if (only.Contains('b', StringComparison.Ordinal))
            {
                Console.WriteLine($"(b) {burst} promises due at the same second:");
                var b = await Scenario(app, "b", 1, burst, TimeSpan.Zero);
                await ReportScenario(control, b, null);
            }

            if (only.Contains('c', StringComparison.Ordinal))
            {
                if (only.Contains('a', StringComparison.Ordinal) || only.Contains('b', StringComparison.Ordinal))
                {
                    // A host of its own and a table of its own: the restart measures 10,000 promises,
                    // not the 22,000 that (a) and (b) left open (their stop can outlast the host's
                    // shutdown timeout, and a half-stopped silo left in this process is no restart).
                    await StopAsync(app, "the host of (a) and (b)");
                    table = azurite.NewTableName("benchesc");
                    port = AzuriteFixture.GetFreeTcpPort();
                    app = Start(azurite, fake, table, port);
                }

                Console.WriteLine($"(a) again, {spread} promises across one minute, the host stopped and started again mid-minute:");
                app = await RestartScenarioAsync(app, control, "c", 2, spread, () => Start(azurite, fake, table, port));
            }

            if (only.Contains('f', StringComparison.Ordinal))
            {
                // (c) with 20,000 more open promises (due hours later) whose jobs the restart must put back too.
                await StopAsync(app, "the host before (f)");
                table = azurite.NewTableName("benchesc");
                port = AzuriteFixture.GetFreeTcpPort();
                app = Start(azurite, fake, table, port);
                Console.WriteLine($"(f) (c) with 20,000 more open promises: {spread} across one minute, the host stopped and started again mid-minute:");
                app = await RestartScenarioAsync(app, control, "f", 6, spread, () => Start(azurite, fake, table, port), others: 20_000);
            }

            if (only.Contains('d', StringComparison.Ordinal))
            {
                // The same with Hangfire's jobs in Redis: they outlive the stop, so the start-up pass has
                // no jobs to rebuild and the steps due after the restart are woken by their own jobs.
                await StopAsync(app, "the host before (d)");
                await using var redis = new RedisFixture();
                await redis.InitializeAsync();
                var redisSettings = new Dictionary<string, string> { ["Hangfire:Storage"] = "redis", ["Hangfire:Redis"] = redis.Configuration };
                table = azurite.NewTableName("benchesc");
                port = AzuriteFixture.GetFreeTcpPort();
                app = BenchApp.Start(azurite, fake, table, port, redisSettings);
                Console.WriteLine($"(d) (a) again with a restart mid-minute, Hangfire's jobs in Redis ({spread} promises):");
                app = await RestartScenarioAsync(app, control, "d", 3, spread, () => BenchApp.Start(azurite, fake, table, port, redisSettings));
                // Stopped while its Redis still runs (disposing it again in the end does nothing).
                await StopAsync(app, "the host of (d)");
            }
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    /// <summary>Promises due across a minute; the host stopped at half time and started again at once.</summary>
    private static async Task<BenchApp> RestartScenarioAsync(
        BenchApp app, HttpClient control, string name, int block, int spread, Func<BenchApp> start, int others = 0)
    {
        var c = await Scenario(app, name, block, spread, TimeSpan.FromMinutes(1), fill: others);
        var half = c.First + TimeSpan.FromSeconds(30);
        await Task.Delay(half - DateTimeOffset.UtcNow);
        var stopped = DateTimeOffset.UtcNow;
        using var operations = new StorageOperations();
        var timedOut = false;
        using (var stopping = new StorageOperations())
        {
            try
            {
                await app.DisposeAsync();
            }
            catch (OperationCanceledException)
            {
                // The host's shutdown timeout cut the stop short: what is left is a crash, which the ledger survives.
                timedOut = true;
            }

            Console.WriteLine($"  the stop{(timedOut ? " hit the host's shutdown timeout and" : "")} wrote: {stopping.Describe(spread)}");
        }

        var gone = DateTimeOffset.UtcNow;
        app = start();
        var restarted = DateTimeOffset.UtcNow;
        Console.WriteLine($"  down from +{(stopped - c.First).TotalSeconds:F1} s to +{(restarted - c.First).TotalSeconds:F1} s into the minute (stopping took {(gone - stopped).TotalSeconds:F1} s, starting {(restarted - gone).TotalSeconds:F1} s)");
        await ReportScenario(control, c, (stopped, restarted), app.Services.GetRequiredService<IGrainFactory>());
        Console.WriteLine($"  storage operations from the stop to the report: {operations.Describe(spread)}");
        return app;
    }

    private static async Task StopAsync(BenchApp app, string what)
    {
        var started = DateTimeOffset.UtcNow;
        try
        {
            await app.DisposeAsync();
            Console.WriteLine($"  {what} stopped in {(DateTimeOffset.UtcNow - started).TotalSeconds:F1} s");
        }
        catch (OperationCanceledException)
        {
            Console.WriteLine($"  {what}: the stop hit the host's shutdown timeout after {(DateTimeOffset.UtcNow - started).TotalSeconds:F1} s");
        }
    }

    private static async Task HangfireAloneAsync(int spread, int burst)
    {
        Console.WriteLine("Hangfire alone (in-memory storage, 20 workers, jobs due at one instant, lateness of the job body):");
        Report($"  {burst} jobs, default 15 s polling", await HangfireAlone.RunAsync(burst, TimeSpan.FromSeconds(15)));
        Report($"  {burst} jobs, 100 ms polling", await HangfireAlone.RunAsync(burst, TimeSpan.FromMilliseconds(100)));
        Report($"  {spread} jobs, 100 ms polling", await HangfireAlone.RunAsync(spread, TimeSpan.FromMilliseconds(100)));
    }

    /// <summary>The floor under (b): our Twilio client alone posting a burst to the local Twilio, 64 at a time.</summary>
    private static async Task TwilioAlone(BenchApp app, HttpClient control, int count)
    {
        var twilio = app.Services.GetRequiredService<Commitments.Twilio.TwilioMessagingClient>();
        var start = DateTimeOffset.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
            await twilio.SendAsync(new Commitments.Twilio.SendMessage($"+1202{5680000 + i:D7}", "Bench: a burst straight to Twilio") { From = OurNumber }, ct));
        var arrived = (await control.GetFromJsonAsync<JsonElement>("/_fake/messages?direction=outbound-api")).EnumerateArray()
            .Where(m => m.GetProperty("to").GetString()!.StartsWith("+1202568", StringComparison.Ordinal))
            .Select(m => (m.GetProperty("statusHistory")[0].GetProperty("at").GetDateTimeOffset() - start).TotalMilliseconds).Order().ToList();
        Report($"Our Twilio client alone, {count} texts posted at once (64 in flight), start to arrival at the local Twilio", arrived);
    }

    private sealed record Run(string Name, Dictionary<string, DateTimeOffset> DueByMobile, DateTimeOffset First, DateTimeOffset Last)
    {
        /// <summary>Each promise's grain key, by its owner's mobile.</summary>
        public Dictionary<string, string> KeyByMobile { get; } = [];
    }

    private static BenchApp Start(AzuriteFixture azurite, LocalTwilioServer fake, string table, int port) => BenchApp.Start(azurite, fake, table, port);

    /// <summary>
    /// Sites of <paramref name="staffPerSite"/> staff, one promise per owner, due from a moment after set-up over
    /// <paramref name="over"/>; the first site has <paramref name="fill"/> more open promises, due hours later.
    /// </summary>
    private static async Task<Run> Scenario(
        BenchApp app, string name, int block, int count, TimeSpan over, int staffPerSite = StaffPerSite, int fill = 0)
    {
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var clock = Stopwatch.StartNew();
        var sites = (count + staffPerSite - 1) / staffPerSite;
        var mobiles = new string[count];
        var policy = EscalationPolicy.Default with
        {
            RemindBefore = TimeSpan.Zero,
            Levels = [new EscalationLevel(TimeSpan.Zero, [Notify.Owner])],
            MaxRepeats = 0,
            CustomerApologyAfter = TimeSpan.FromHours(1),
        };
        await Parallel.ForEachAsync(Enumerable.Range(0, sites), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, _) =>
        {
            var site = grains.GetGrain<ISiteGrain>($"bench-{name}-{s}");
            await site.Ensure(new SiteSetup("Harborview Hotel", "America/New_York", "US"));
            await site.UpsertTeam(Actor.System, new TeamInput("front-desk", "Front Desk"));
            await site.SetPolicy(Actor.System, "front-desk", policy);
            for (var i = s * staffPerSite; i < Math.Min(count, (s + 1) * staffPerSite); i++)
            {
                mobiles[i] = $"+1202{5600000 + (block * 20000) + i:D7}";
                await site.EnsureStaff(new StaffInput($"s{i}", $"Staff {i}", mobiles[i], Roles.Staff, "front-desk", "1111"));
            }
        });

        if (fill > 0)
        {
            var later = DateTimeOffset.UtcNow.AddHours(3).ToString("O");
            await Parallel.ForEachAsync(Enumerable.Range(0, fill), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (_, _) =>
                await grains.GetGrain<ICommitmentGrain>(CommitmentKey.For($"bench-{name}-0", Guid.NewGuid())).Create(Actor.Staff("s0"),
                    new NewCommitment("Fix the shower in room 212", new CustomerInput("Ben Okafor", null, "212", false, null), later, null, null)));
            Console.WriteLine($"  {fill} more open promises at bench-{name}-0 in {clock.Elapsed.TotalSeconds:F0} s");
        }

        // Due after the promises are all written (at 100 a second, well under what the host does, so
        // creating them never overlaps the window measured), then spread over the window.
        var first = DateTimeOffset.UtcNow.AddSeconds(20 + (count / 100.0));
        var step = count > 1 ? over / (count - 1) : TimeSpan.Zero;
        var due = new Dictionary<string, DateTimeOffset>();
        for (var i = 0; i < count; i++)
        {
            due[mobiles[i]] = first + (step * i);
        }

        var keys = new string[count];
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
        {
            var site = $"bench-{name}-{i / staffPerSite}";
            keys[i] = CommitmentKey.For(site, Guid.NewGuid());
            await grains.GetGrain<ICommitmentGrain>(keys[i]).Create(Actor.Staff($"s{i}"),
                new NewCommitment("Extra towels", new CustomerInput("Ana Silva", null, "412", false, "en"), due[mobiles[i]].ToString("O"), null, null));
        });
        Console.WriteLine($"  set up in {clock.Elapsed.TotalSeconds:F0} s; first due {(first - DateTimeOffset.UtcNow).TotalSeconds:F1} s later");
        var run = new Run(name, due, first, first + over);
        for (var i = 0; i < count; i++)
        {
            run.KeyByMobile[mobiles[i]] = keys[i];
        }

        return run;
    }

    private static async Task ReportScenario(HttpClient control, Run run, (DateTimeOffset Stopped, DateTimeOffset Started)? down, IGrainFactory? grains = null)
    {
        var deadline = run.Last + TimeSpan.FromSeconds(90);
        List<(string To, DateTimeOffset At, string Body)> arrived;
        while (true)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            var all = (await control.GetFromJsonAsync<JsonElement>("/_fake/messages?direction=outbound-api")).EnumerateArray();
            arrived = [.. all.Select(m => (To: m.GetProperty("to").GetString()!, At: m.GetProperty("statusHistory")[0].GetProperty("at").GetDateTimeOffset(), Body: m.GetProperty("body").GetString() ?? ""))
                .Where(m => run.DueByMobile.ContainsKey(m.To))];
            if ((arrived.Count >= run.DueByMobile.Count && DateTimeOffset.UtcNow > run.Last) || DateTimeOffset.UtcNow > deadline)
            {
                break;
            }
        }

        var twice = arrived.GroupBy(m => m.To).Count(g => g.Count() > 1);
        var missing = run.DueByMobile.Count - arrived.Select(m => m.To).Distinct().Count();
        Console.WriteLine($"  level-1 texts at Twilio: {arrived.Count} for {run.DueByMobile.Count} promises (texted twice: {twice}, never: {missing})");
        foreach (var pair in arrived.GroupBy(m => m.To).Where(g => g.Count() > 1).Take(3))
        {
            var (first, second) = (pair.OrderBy(m => m.At).First(), pair.OrderBy(m => m.At).Skip(1).First());
            Console.WriteLine($"    twice to …{pair.Key[^4..]}: {(second.At - first.At).TotalMilliseconds:F0} ms apart, {(first.Body == second.Body ? "same words" : "different words")}, due {(run.DueByMobile[pair.Key] - run.First).TotalSeconds:F1} s into the window");
        }

        var late = arrived.GroupBy(m => m.To).Select(g => (Due: run.DueByMobile[g.Key], Late: (g.Min(m => m.At) - run.DueByMobile[g.Key]).TotalMilliseconds)).ToList();
        if (down is { } d)
        {
            Report("  due before the stop", [.. late.Where(l => l.Due < d.Stopped).Select(l => l.Late).Order()]);
            Report("  due while down", [.. late.Where(l => l.Due >= d.Stopped && l.Due <= d.Started).Select(l => l.Late).Order()]);
            Report("  due after the restart", [.. late.Where(l => l.Due > d.Started).Select(l => l.Late).Order()]);

            // Where the tail after a restart sits: by how soon after the start the step was due.
            var bySeconds = late.Where(l => l.Due > d.Started)
                .GroupBy(l => Math.Min(6, (int)((l.Due - d.Started).TotalSeconds / 5)))
                .OrderBy(g => g.Key)
                .Select(g =>
                {
                    var sorted = g.Select(l => l.Late).Order().ToList();
                    var span = g.Key < 6 ? $"{g.Key * 5}–{(g.Key * 5) + 5} s" : "30 s on";
                    return $"{span}: n {sorted.Count}, p99 {BenchHost.Percentile(sorted, 0.99):F0} ms";
                });
            Console.WriteLine($"    after the start, due {string.Join("; ", bySeconds)}");

            // And while down: how late by when in the downtime (a step due while stopping was prepared, maybe sent; it is looked up first).
            var whileDown = late.Where(l => l.Due >= d.Stopped && l.Due <= d.Started)
                .GroupBy(l => (int)((l.Due - d.Stopped).TotalSeconds * 2))
                .OrderBy(g => g.Key)
                .Select(g =>
                {
                    var sorted = g.Select(l => l.Late).Order().ToList();
                    return $"{g.Key * 0.5:F1}–{(g.Key * 0.5) + 0.5:F1} s: n {sorted.Count}, p50 {BenchHost.Percentile(sorted, 0.5):F0}, max {sorted[^1]:F0} ms";
                });
            Console.WriteLine($"    after the stop, due {string.Join("; ", whileDown)}");

            // When the texts went after the start (by half second, for the first 8 s): how soon the host was taking steps.
            var sent = arrived.Where(m => m.At >= d.Started && m.At < d.Started + TimeSpan.FromSeconds(8))
                .GroupBy(m => (int)((m.At - d.Started).TotalSeconds * 2)).ToDictionary(g => g.Key, g => g.Count());
            Console.WriteLine($"    texts at Twilio by half second after the start ({d.Started:HH:mm:ss.fff}): {string.Join(" ", Enumerable.Range(0, 16).Select(i => sent.GetValueOrDefault(i)))}");
            if (grains is not null)
            {
                // The latest few: what their history says happened.
                foreach (var (mobile, _) in arrived.GroupBy(m => m.To).Select(g => (g.Key, Late: g.Min(m => m.At) - run.DueByMobile[g.Key])).OrderByDescending(x => x.Late).Take(3))
                {
                    var view = await grains.GetGrain<ICommitmentGrain>(run.KeyByMobile[mobile]).Get();
                    var due = run.DueByMobile[mobile];
                    var events = string.Join(", ", view!.History.Skip(1).Select(e => $"{e.Type} +{(e.At - due).TotalSeconds:F1} s ({string.Join(" ", e.Details.Where(x => x.Key is "delayedSeconds" or "delayReason").Select(x => x.Value))})"));
                    var texts = string.Join(", ", view.Texts.Select(t => $"{t.Kind} {t.Status} sent +{(t.SentAt - due)?.TotalSeconds:F1} s"));
                    Console.WriteLine($"    late one due +{(due - d.Stopped).TotalSeconds:F1} s after the stop ({run.KeyByMobile[mobile]}, due {due:O}): {events}; texts: {texts}");
                }
            }
        }
        else
        {
            Report("  deadline to Twilio", [.. late.Select(l => l.Late).Order()]);
        }
    }

    private static void Report(string what, List<double> sorted)
    {
        if (sorted.Count == 0)
        {
            Console.WriteLine($"{what}: none");
            return;
        }

        Console.WriteLine($"{what}: n {sorted.Count}, p50 {BenchHost.Percentile(sorted, 0.50):F0} ms, p99 {BenchHost.Percentile(sorted, 0.99):F0} ms, max {sorted[^1]:F0} ms");
    }
}
