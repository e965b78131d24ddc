extern alias host;
extern alias localtwilio;

using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Bench.Texts;

/// <summary>
/// Texts through the outbox to the local Twilio with the sender capped: achieved rate against the
/// cap (never above it), and the time from each event to Twilio's 201.
/// </summary>
internal static class DispatchBenchmark
{
    private const string OurNumber = BenchHost.OurNumber;

    public static async Task RunAsync(int count, int mps)
    {
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        await using var fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = OurNumber }],
            Lifecycle = new LifecycleOptions { Auto = false },
        });
        var port = AzuriteFixture.GetFreeTcpPort();

        // The host's content root, as the test projects get it from Mvc.Testing's manifest.
        BenchHost.UseHostContentRoot();
        var settings = BenchHost.Settings(azurite, fake, azurite.NewTableName("benchtexts"), port);
        settings["Twilio:MessagesPerSecond"] = mps.ToString(CultureInfo.InvariantCulture);
        await using var app = new HostFactory<host::Program>("Production", settings);
        app.Listen(port);
        var grains = app.Services.GetRequiredService<IGrainFactory>();
        var site = grains.GetGrain<ISiteGrain>("bench-texts");
        await site.Ensure(new SiteSetup("Harborview Hotel", "Pacific/Kiritimati", "US"));
        await site.UpsertTeam(Actor.System, new TeamInput("front-desk", "Front Desk"));
        await site.EnsureStaff(new StaffInput("desk1", "Dana Whitfield", "+12025550141", Roles.FrontDesk, "front-desk", "1111"));

        // The events: one promise each, to a guest who consented, so one text each.
        var eventAt = new Dictionary<string, DateTimeOffset>();
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var mobile = $"+1202{5560000 + i:D7}"[..12];
                var due = DateTimeOffset.UtcNow.AddHours(2).ToString("O");
                await grains.GetGrain<ICommitmentGrain>(CommitmentKey.For("bench-texts", Guid.NewGuid()))
                    .Create(Actor.Staff("desk1"), new NewCommitment("Extra towels", new CustomerInput("Ana Silva", mobile, "412", true, "en"), due, null, null));
                lock (eventAt)
                {
                    eventAt[mobile] = DateTimeOffset.UtcNow;
                }
            }
        }));
        Console.WriteLine($"{count} events recorded in {clock.Elapsed.TotalSeconds:F1} s; dispatching at a cap of {mps} segments/s");

        using var control = new HttpClient { BaseAddress = fake.BaseUrl };
        List<JsonElement> sent;
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            sent = [.. (await control.GetFromJsonAsync<JsonElement>("/_fake/messages?direction=outbound-api")).EnumerateArray()];
        }
        while (sent.Count < count && clock.Elapsed < TimeSpan.FromSeconds(count / (double)mps * 3 + 60));

        // The first status change carries the creation time to the millisecond (date_created has whole seconds).
        var created = sent.Select(m => (To: m.GetProperty("to").GetString()!, At: m.GetProperty("statusHistory")[0].GetProperty("at").GetDateTimeOffset(),
                Segments: m.GetProperty("numSegments").GetInt32())).OrderBy(m => m.At).ToList();
        var perTo = created.GroupBy(m => m.To).Count(g => g.Count() > 1);
        var span = (created[^1].At - created[0].At).TotalSeconds;
        var achieved = (created.Sum(m => m.Segments) - created[0].Segments) / span;
        var peak = created.Select((m, i) => created.Skip(i).TakeWhile(o => o.At < m.At.AddSeconds(1)).Sum(o => o.Segments)).Max();
        var busiestClockSecond = created.GroupBy(m => m.At.ToUnixTimeSeconds()).Max(g => g.Sum(m => m.Segments));
        var latencies = created.Where(m => eventAt.ContainsKey(m.To)).Select(m => (m.At - eventAt[m.To]).TotalMilliseconds).Order().ToList();
        Console.WriteLine($"texts at Twilio: {created.Count} (numbers texted twice: {perTo})");
        foreach (var missing in eventAt.Keys.Except(created.Select(c => c.To)).Take(5))
        {
            Console.WriteLine($"not sent: {missing}");
        }

        Console.WriteLine($"achieved: {achieved:F2} segments/s against a cap of {mps} ({(achieved - mps) / mps * 100:+0.0;-0.0} %); busiest clock second at Twilio: {busiestClockSecond} segments; busiest sliding 1 s window: {peak}");
        Console.WriteLine($"burst, event to Twilio 201: p50 {BenchHost.Percentile(latencies, 0.50) / 1000:F1} s, p99 {BenchHost.Percentile(latencies, 0.99) / 1000:F1} s (a burst of {count} queues behind the cap)");

        // Steady load below the cap: what the pipeline itself adds between an event and Twilio's 201.
        var steady = Math.Min(400, count);
        var rate = mps * 0.8;
        var steadyAt = new Dictionary<string, DateTimeOffset>();
        using (var timer = new PeriodicTimer(TimeSpan.FromSeconds(1 / rate)))
        {
            for (var i = 0; i < steady; i++)
            {
                await timer.WaitForNextTickAsync();
                var mobile = $"+1202{5570000 + i:D7}"[..12];
                steadyAt[mobile] = DateTimeOffset.UtcNow;
                _ = grains.GetGrain<ICommitmentGrain>(CommitmentKey.For("bench-texts", Guid.NewGuid())).Create(Actor.Staff("desk1"),
                    new NewCommitment("Late checkout", new CustomerInput("Bo Chen", mobile, "210", true, "en"), DateTimeOffset.UtcNow.AddHours(2).ToString("O"), null, null));
            }
        }

        List<JsonElement> all;
        var wait = Stopwatch.StartNew();
        do
        {
            await Task.Delay(TimeSpan.FromMilliseconds(500));
            all = [.. (await control.GetFromJsonAsync<JsonElement>("/_fake/messages?direction=outbound-api")).EnumerateArray()];
        }
        while (all.Count < count + steady && wait.Elapsed < TimeSpan.FromSeconds(120));

        var steadyLatency = all.Where(m => steadyAt.ContainsKey(m.GetProperty("to").GetString()!))
            .Select(m => (m.GetProperty("statusHistory")[0].GetProperty("at").GetDateTimeOffset() - steadyAt[m.GetProperty("to").GetString()!]).TotalMilliseconds)
            .Order().ToList();
        Console.WriteLine($"steady {rate:F0} events/s ({steady} texts, {steadyLatency.Count} at Twilio), event to Twilio 201: p50 {BenchHost.Percentile(steadyLatency, 0.50):F0} ms, p99 {BenchHost.Percentile(steadyLatency, 0.99):F0} ms");
    }
}
