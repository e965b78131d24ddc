extern alias localtwilio;

using System.Diagnostics;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Insights;
using Commitments.Grains.Sites;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Bench.Insights;

/// <summary>
/// The CX gap map for a year of a 300-room hotel: the daily roll-ups of 150,000 promises (each
/// done, a third of them handed off first) are recorded as the promises would tell them, then the
/// gap map for 365 days is read as the page reads it: cold (after a restart, every day read from
/// storage) and warm.
/// </summary>
internal static class GapMapBenchmark
{
    private static readonly string[] Teams = ["front-desk", "housekeeping", "engineering", "food-and-beverage"];

    public static async Task RunAsync(int promises, int rounds)
    {
        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        await using var fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = BenchHost.OurNumber }],
        });
        var table = azurite.NewTableName("benchmap");
        BenchHost.UseHostContentRoot();
        var port = AzuriteFixture.GetFreeTcpPort();
        var app = BenchApp.Start(azurite, fake, table, port);
        const string site = "bench-gap-map";
        try
        {
            var grains = app.Services.GetRequiredService<IGrainFactory>();
            var siteGrain = grains.GetGrain<ISiteGrain>(site);
            await siteGrain.Ensure(new SiteSetup("Harborview Hotel", "America/New_York", "US"));
            for (var t = 0; t < Teams.Length; t++)
            {
                await siteGrain.UpsertTeam(Actor.System, new TeamInput(Teams[t], Teams[t]));
                for (var p = 0; p < 10; p++)
                {
                    await siteGrain.EnsureStaff(new StaffInput($"{Teams[t]}-{p}", $"Staff {t}-{p}", $"+1202555{t}{p:D3}", Roles.Staff, Teams[t], "1111"));
                }
            }

            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            var first = today.AddDays(-364);
            var clock = Stopwatch.StartNew();
            var random = new Random(42);
            await Parallel.ForEachAsync(Enumerable.Range(0, 365), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (d, _) =>
            {
                var day = first.AddDays(d);
                var noon = new DateTimeOffset(day.ToDateTime(new TimeOnly(17, 0)), TimeSpan.Zero);
                var events = new List<InsightEvent>();
                lock (random)
                {
                    for (var i = 0; i < promises / 365; i++)
                    {
                        var id = Guid.NewGuid();
                        var owner = $"{Teams[random.Next(Teams.Length)]}-{random.Next(10)}";
                        var due = noon.AddMinutes(random.Next(-300, 300));
                        if (i % 3 == 0)
                        {
                            var from = $"front-desk-{random.Next(10)}";
                            events.Add(new InsightEvent(id, 2, EventTypes.HandoffProposed, due.AddMinutes(-60), from, due, from, owner));
                            events.Add(new InsightEvent(id, 3, EventTypes.HandoffAccepted, due.AddMinutes(-58), owner, due, from, owner, due.AddMinutes(-60)));
                        }

                        events.Add(new InsightEvent(id, 4, EventTypes.Completed, due.AddMinutes(random.Next(-20, 25)), owner, due));
                    }
                }

                await IInsightDayGrain.For(grains, site, day).Record(events);
            });

            // Record is one-way and written behind: wait until every day holds its promises and is written.
            foreach (var d in Enumerable.Range(0, 365))
            {
                while ((await IInsightDayGrain.For(grains, site, first.AddDays(d)).Get()).Teams.Values.Sum(t => t.Completed) < promises / 365)
                {
                    await Task.Delay(50);
                }
            }

            Console.WriteLine($"CX gap map: {promises / 365 * 365} promises' roll-ups over 365 days recorded in {clock.Elapsed.TotalSeconds:F1} s");
            await app.DisposeAsync();
            app = BenchApp.Start(azurite, fake, table, port);
            grains = app.Services.GetRequiredService<IGrainFactory>();

            var cold = Stopwatch.StartNew();
            var map = await GapMap.LoadAsync(grains, site, first, today);
            Console.WriteLine($"  365 days after a restart (cold, 365 reads): {cold.Elapsed.TotalMilliseconds:F0} ms; {map.Teams.Sum(t => t.Done)} promises, {map.Handoffs.Values.Sum(h => h.Offered)} handoffs");
            var warm = new List<double>();
            for (var r = 0; r < rounds; r++)
            {
                var timer = Stopwatch.StartNew();
                await GapMap.LoadAsync(grains, site, first, today);
                warm.Add(timer.Elapsed.TotalMilliseconds);
            }

            warm.Sort();
            Console.WriteLine($"  365 days warm: p50 {BenchHost.Percentile(warm, 0.5):F0} ms, max {warm[^1]:F0} ms ({rounds} reads); 30 days warm: {await TimeAsync(() => GapMap.LoadAsync(grains, site, today.AddDays(-29), today)):F0} ms");
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task<double> TimeAsync(Func<Task> action)
    {
        var timer = Stopwatch.StartNew();
        await action();
        return timer.Elapsed.TotalMilliseconds;
    }
}
