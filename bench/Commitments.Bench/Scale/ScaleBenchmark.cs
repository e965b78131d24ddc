extern alias host;
extern alias localtwilio;

using System.Diagnostics;
using System.Globalization;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Testing;
using Hangfire;
using Hangfire.InMemory;
using localtwilio::Commitments.LocalTwilio;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Bench.Scale;

/// <summary>
/// One host with many open promises over many sites: the process's memory as they are made, with their activations
/// live and after idle ones are collected, Hangfire's share (a job per promise's next step), and a restart's time to
/// serve and to have every step scheduled again.
/// </summary>
internal static class ScaleBenchmark
{
    public static async Task RunAsync(int sites, int promises)
    {
        // Azurite keeps every row in its Node heap; on disk it rewrites its whole database every few seconds, which at a
        // million rows stalls it for seconds at a time, so this part runs it in memory (with room for its heap).
        Environment.SetEnvironmentVariable("NODE_OPTIONS", "--max-old-space-size=16384");
        await using var azurite = new AzuriteFixture { InMemory = true };
        await azurite.InitializeAsync();
        await using var fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = BenchHost.OurNumber }],
        });
        BenchHost.UseHostContentRoot();
        var table = azurite.NewTableName("benchscale");
        var port = AzuriteFixture.GetFreeTcpPort();
        var settings = new Dictionary<string, string> { ["Orleans:CollectionAge"] = "00:02:00" };
        Console.WriteLine($"Scale: {promises:N0} open promises over {sites} sites, one host, {Environment.ProcessorCount} cores");

        var app = BenchApp.Start(azurite, fake, table, port, settings, texting: false);
        try
        {
            var grains = app.Services.GetRequiredService<IGrainFactory>();
            await Parallel.ForEachAsync(Enumerable.Range(0, sites), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (s, _) =>
                await BenchHost.SetUpHotelAsync(grains, Site(s)));
            Console.WriteLine($"  {sites} hotels set up; {Memory()}");

            var clock = Stopwatch.StartNew();
            var made = 0;
            var step = Math.Max(1, promises / 10);
            var start = DateTimeOffset.UtcNow;
            await Parallel.ForEachAsync(Enumerable.Range(0, promises), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, _) =>
            {
                // Due across the next day, so every step is scheduled and none comes due during the run.
                var due = start.AddHours(2).AddSeconds(i % 79_200).ToString("O", CultureInfo.InvariantCulture);
                await grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(Site(i % sites), Guid.NewGuid())).Create(
                    Actor.Staff("desk1"),
                    new NewCommitment("Fix the shower in room 212", new CustomerInput("Ben Okafor", null, "212", false, null), due, null, null));
                if (Interlocked.Increment(ref made) % step == 0)
                {
                    Console.WriteLine($"  {made:N0} made in {clock.Elapsed.TotalSeconds:F0} s ({made / clock.Elapsed.TotalSeconds:F0}/s); {Memory()}");
                }
            });

            var jobs = app.Services.GetRequiredService<JobStorage>();
            Console.WriteLine($"  all made: {Memory(collect: true)}; Hangfire holds {jobs.GetMonitoringApi().ScheduledCount():N0} scheduled jobs");

            // Idle promises deactivate after Orleans:CollectionAge (2 minutes here); the indexes and sites stay.
            await Task.Delay(TimeSpan.FromMinutes(3));
            Console.WriteLine($"  3 minutes idle: {Memory(collect: true)}");
            Console.WriteLine($"  Hangfire's in-memory storage alone: {HangfireBytesPerJob(100_000):F0} bytes per scheduled job");

            await app.DisposeAsync();
            var stopped = Stopwatch.StartNew();
            app = BenchApp.Start(azurite, fake, table, port, settings, texting: false);
            var ready = stopped.Elapsed;
            var restarted = app.Services.GetRequiredService<JobStorage>().GetMonitoringApi();
            while (restarted.ScheduledCount() < promises * 0.999 && stopped.Elapsed < TimeSpan.FromMinutes(30))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }

            Console.WriteLine($"  restart: serving after {ready.TotalSeconds:F1} s, {restarted.ScheduledCount():N0} steps scheduled again after {stopped.Elapsed.TotalSeconds:F0} s; {Memory(collect: true)}");
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static string Site(int i) => $"scale-{i:D3}";

    private static string Memory(bool collect = false)
    {
        if (collect)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        using var process = Process.GetCurrentProcess();
        return $"RSS {process.WorkingSet64 / 1024 / 1024:N0} MB, managed heap {GC.GetTotalMemory(false) / 1024 / 1024:N0} MB";
    }

    // The same job shape as the host's (EscalationJobs.Wake of a promise key and moment), in a storage of its own.
    private static double HangfireBytesPerJob(int count)
    {
        using var storage = new InMemoryStorage();
        var client = new BackgroundJobClient(storage);
        var before = Heap();
        var at = DateTimeOffset.UtcNow.AddHours(2);
        for (var i = 0; i < count; i++)
        {
            var key = CommitmentKey.For(Site(i % 500), Guid.NewGuid());
            client.Schedule<host::Commitments.Host.Escalation.EscalationJobs>(j => j.Wake(key, at), at.AddSeconds(i % 79_200));
        }

        var after = Heap();
        GC.KeepAlive(storage);
        return (after - before) / (double)count;

        static long Heap()
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            return GC.GetTotalMemory(true);
        }
    }
}
