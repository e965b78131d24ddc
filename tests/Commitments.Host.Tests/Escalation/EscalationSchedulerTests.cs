using Commitments.Host.Escalation;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Tests.Escalation;

/// <summary>
/// The scheduler's one thread serves promises' own requests before bulk work: after a restart the
/// reconcile pass puts back thousands of jobs, and a promise writing its step must not wait behind them.
/// </summary>
public sealed class EscalationSchedulerTests
{
    [Fact]
    public async Task APromisesRequestGoesBeforeQueuedBulkWorkAndBulkWorkStillGetsTurns()
    {
        var jobs = new RecordingJobClient();
        using var scheduler = new HangfireEscalationScheduler(jobs, Options.Create(new EscalationOptions()), TimeProvider.System, NullLogger<HangfireEscalationScheduler>.Instance);
        var at = DateTimeOffset.UtcNow.AddHours(1);

        // The thread is busy with a first request while 30 bulk requests and then 20 of promises queue up.
        var first = scheduler.ScheduleAsync("site/first", at);
        await jobs.Started.Task.WaitAsync(TestContext.Current.CancellationToken);
        var bulk = Enumerable.Range(0, 30).Select(i => scheduler.ScheduleInBackgroundAsync($"site/bulk-{i}", at)).ToList();
        var own = Enumerable.Range(0, 20).Select(i => scheduler.ScheduleAsync($"site/own-{i}", at)).ToList();
        jobs.Release.SetResult();
        await Task.WhenAll([first, .. bulk, .. own]).WaitAsync(TestContext.Current.CancellationToken);

        var order = jobs.Keys.ToList();
        order.Count.ShouldBe(51);
        order[0].ShouldBe("site/first");

        // Up to eight of the promises' requests in a row (the first may have been one of them), then one
        // bulk, and so on: the promises' last request is done by the 24th call, with two or three bulk ones before it.
        order.Skip(1).Take(7).ShouldAllBe(k => k.StartsWith("site/own", StringComparison.Ordinal), string.Join(", ", order));
        order.IndexOf("site/own-19").ShouldBeLessThan(24, string.Join(", ", order));
        order.Take(order.IndexOf("site/own-19")).Count(k => k.StartsWith("site/bulk", StringComparison.Ordinal)).ShouldBeInRange(2, 3);
        order.Where(k => k.StartsWith("site/own", StringComparison.Ordinal)).ShouldBe(Enumerable.Range(0, 20).Select(i => $"site/own-{i}"));

        // Bulk work keeps its own order.
        order.Where(k => k.StartsWith("site/bulk", StringComparison.Ordinal)).ShouldBe(Enumerable.Range(0, 30).Select(i => $"site/bulk-{i}"));
    }

    [Fact]
    public async Task ABulkJobWhoseMomentToFireHasComeGoesBeforeEverything()
    {
        var jobs = new RecordingJobClient();
        using var scheduler = new HangfireEscalationScheduler(jobs, Options.Create(new EscalationOptions()), TimeProvider.System, NullLogger<HangfireEscalationScheduler>.Instance);
        var later = DateTimeOffset.UtcNow.AddHours(1);

        var first = scheduler.ScheduleAsync("site/first", later);
        await jobs.Started.Task.WaitAsync(TestContext.Current.CancellationToken);
        var own = Enumerable.Range(0, 20).Select(i => scheduler.ScheduleAsync($"site/own-{i}", later)).ToList();
        var dueNow = scheduler.ScheduleInBackgroundAsync("site/bulk-due", DateTimeOffset.UtcNow);
        jobs.Release.SetResult();
        await Task.WhenAll([first, dueNow, .. own]).WaitAsync(TestContext.Current.CancellationToken);

        // Its step is due within the job lead: waiting its turn behind the promises' requests would make it late.
        var order = jobs.Keys.ToList();
        order[1].ShouldBe("site/bulk-due", string.Join(", ", order));
    }

    /// <summary>Hangfire's client as the scheduler calls it; the first call waits until released.</summary>
    private sealed class RecordingJobClient : IBackgroundJobClient
    {
        private int _calls;

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public System.Collections.Concurrent.ConcurrentQueue<string> Keys { get; } = new();

        public string Create(Job job, IState state)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                Started.SetResult();
                Release.Task.Wait(TestContext.Current.CancellationToken);
            }

            Keys.Enqueue((string)job.Args[0]);
            return _calls.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public bool ChangeState(string jobId, IState state, string expectedState) => true;
    }
}
