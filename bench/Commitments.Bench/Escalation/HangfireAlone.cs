using System.Collections.Concurrent;
using System.Diagnostics;
using Hangfire;
using Hangfire.InMemory;

namespace Commitments.Bench.Escalation;

/// <summary>
/// Hangfire by itself, as it comes: jobs scheduled for one instant on in-memory storage, fired by a
/// server with the given schedule polling. The lateness of the job body is the out-of-the-box figure
/// (negative: early; Hangfire keeps scheduled moments in whole seconds, so a job may run up to 1 s early).
/// </summary>
internal static class HangfireAlone
{
    private static readonly ConcurrentBag<double> Lateness = [];

    public static async Task<List<double>> RunAsync(int count, TimeSpan polling)
    {
        Lateness.Clear();
        using var storage = new InMemoryStorage(new InMemoryStorageOptions { IdType = InMemoryStorageIdType.Guid });
        var client = new BackgroundJobClient(storage);
        var clock = Stopwatch.StartNew();
        var at = DateTimeOffset.UtcNow.AddSeconds(3 + (count / 1000.0));
        for (var i = 0; i < count; i++)
        {
            client.Schedule(() => Fire(at.UtcTicks), at);
        }

        if (DateTimeOffset.UtcNow > at)
        {
            Console.WriteLine($"  (scheduling {count} jobs took {clock.Elapsed.TotalSeconds:F1} s, past their moment)");
        }

        using (new BackgroundJobServer(new BackgroundJobServerOptions { SchedulePollingInterval = polling, WorkerCount = 20 }, storage))
        {
            var deadline = DateTimeOffset.UtcNow.AddMinutes(2);
            while (Lateness.Count < count && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        return [.. Lateness.Order()];
    }

    /// <summary>The job: how late it runs after its moment.</summary>
    public static void Fire(long dueTicks) => Lateness.Add((DateTimeOffset.UtcNow - new DateTimeOffset(dueTicks, TimeSpan.Zero)).TotalMilliseconds);
}
