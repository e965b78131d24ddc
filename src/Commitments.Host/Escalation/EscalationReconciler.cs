using Commitments.Grains.Commitments;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Sites;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Escalation;

/// <summary>
/// The promise ledger is the truth, Hangfire's jobs are derived from it. At start-up and every
/// minute this walks each site's open promises: a step that came due without its job having
/// run (the process was down, or in-memory job storage forgot) is taken now, once; a promise
/// whose job is gone gets a new one. The history of a step taken late says how late.
/// </summary>
public sealed partial class EscalationReconciler(
    IGrainFactory grains,
    JobStorage storage,
    IEscalationScheduler scheduler,
    IOptions<EscalationOptions> options,
    TimeProvider time,
    ILogger<EscalationReconciler> logger)
{
    // Jobs this process scheduled from the index alone (by promise): the promise keeps its old job
    // id until its next write, so liveness is checked against these too.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (string JobId, DateTimeOffset At)> _scheduled = new();

    // Built with the host: a job that ran before this moment woke a promise in an earlier process.
    private readonly DateTimeOffset _processStarted = time.GetUtcNow();

    /// <summary>What one pass did: promises whose overdue steps it took, and jobs it scheduled again.</summary>
    public sealed record Result(int Checked, int Escalated, int Rescheduled);

    /// <summary>How many promises one pass works on at once (the start-up pass after downtime may have thousands due).</summary>
    public const int Parallelism = 32;

    // One pass at a time in this process (the start-up pass and the recurring one may meet): the second waits.
    private readonly SemaphoreSlim _running = new(1, 1);

    public async Task<Result> RunAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            return await PassAsync(cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    private async Task<Result> PassAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        foreach (var (id, job) in _scheduled)
        {
            if (job.At < time.GetUtcNow() - TimeSpan.FromMinutes(10))
            {
                _scheduled.TryRemove(id, out _);
            }
        }

        // Two lanes at once. A promise with a step to take now is activated (a read, the step, a write);
        // one whose job is gone and whose step is still ahead only gets a new job, from the index alone
        // (no storage). After a restart that is every open promise: the steps coming due must not wait
        // in line behind the ones that came due while the process was down, so the second lane does
        // not queue behind the first; its jobs wake their promises a little early, as any job does.
        var tally = new Tally(started);
        var sites = await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).List();

        // All plans first, then both lanes: taking steps while the indexes still load (each reads its shards
        // and catches up after a restart) slowed the loading and, measured, both lanes with it.
        var (take, schedule) = await ReadPlansAsync(sites, tally, cancellationToken);
        await Task.WhenAll(TakeAllAsync(take, tally, cancellationToken), ScheduleAllAsync(schedule, tally, cancellationToken));

        if (tally.Escalated + tally.Rescheduled > 0)
        {
            LogReconciled(logger, tally.Checked, sites.Count, (long)tally.Planned.TotalMilliseconds, tally.Escalated, tally.Taken, tally.Rescheduled, tally.Jobs,
                (long)tally.Scheduled.TotalMilliseconds, (long)time.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Result(tally.Checked, tally.Escalated, tally.Rescheduled);
    }

    /// <summary>What one pass counted, and when its parts ended.</summary>
    private sealed class Tally(long started)
    {
        // Counted by both lanes at once (Interlocked).
        public int Escalated;
        public int Rescheduled;

        public long Started { get; } = started;

        public int Checked { get; set; }

        public int Taken { get; set; }

        public int Jobs { get; set; }

        public TimeSpan Planned { get; set; }

        public TimeSpan Scheduled { get; set; }
    }

    // Each site's index is its own grain, and after a restart each reads its shards and catches up first:
    // they load side by side. Then the most urgent first: never planned, then by the next step's moment.
    private async Task<(List<(string Site, IndexEntry Entry, bool Live)> Take, List<(string Site, IndexEntry Entry)> Schedule)> ReadPlansAsync(
        IReadOnlyList<string> sites, Tally tally, CancellationToken cancellationToken)
    {
        var plans = new System.Collections.Concurrent.ConcurrentBag<(string Site, IndexEntry Entry)>();
        await Parallel.ForEachAsync(sites, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (site, _) =>
        {
            foreach (var entry in await grains.GetGrain<ISiteIndexGrain>(site).EscalationPlans())
            {
                plans.Add((site, entry));
            }
        });

        var work = plans.ToList();
        work.Sort((a, b) => Nullable.Compare(a.Entry.EscalationPlanned ? a.Entry.NextEscalationAt : null, b.Entry.EscalationPlanned ? b.Entry.NextEscalationAt : null));

        // Whether each job is live is a storage call apiece (a network round trip with Redis): asked side by side.
        var now = time.GetUtcNow();
        var live = new bool[work.Count];
        Parallel.For(0, work.Count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, i => live[i] = IsLive(work[i].Entry, now));

        var take = new List<(string Site, IndexEntry Entry, bool Live)>();
        var schedule = new List<(string Site, IndexEntry Entry)>();
        for (var i = 0; i < work.Count; i++)
        {
            var (site, entry) = work[i];
            var overdue = entry.NextEscalationAt <= now - options.Value.ReconcileGrace;
            var ahead = entry.NextEscalationAt > now;
            if (!entry.EscalationPlanned || overdue || (!live[i] && !ahead))
            {
                // Never planned, a step overdue that no job took, or a job gone with its step due.
                take.Add((site, entry, live[i]));
            }
            else if (!live[i] && entry.NextEscalationAt is not null)
            {
                schedule.Add((site, entry));
            }
        }

        (tally.Checked, tally.Taken, tally.Jobs, tally.Planned) = (work.Count, take.Count, schedule.Count, time.GetElapsedTime(tally.Started));
        return (take, schedule);
    }

    // The grain takes what is due and schedules the next.
    private Task TakeAllAsync(List<(string Site, IndexEntry Entry, bool Live)> take, Tally tally, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(take, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (item, _) =>
            await ForPromiseAsync(item.Entry.Id, async () =>
            {
                var run = await grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(item.Site, item.Entry.Id)).Reconcile(jobLost: !item.Live);
                Interlocked.Increment(ref run.Ran.Count > 0 ? ref tally.Escalated : ref tally.Rescheduled);
            }, cancellationToken));

    // The promise decides when the job wakes it, as with any job; a step that came due meanwhile is woken at once.
    private async Task ScheduleAllAsync(List<(string Site, IndexEntry Entry)> schedule, Tally tally, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(schedule, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (item, _) =>
            await ForPromiseAsync(item.Entry.Id, async () =>
            {
                var at = item.Entry.NextEscalationAt!.Value;
                _scheduled[item.Entry.Id] = (await scheduler.ScheduleInBackgroundAsync(CommitmentKey.For(item.Site, item.Entry.Id), at), at);
                Interlocked.Increment(ref tally.Rescheduled);
            }, cancellationToken));
        tally.Scheduled = time.GetElapsedTime(tally.Started);
    }

    private async Task ForPromiseAsync(Guid id, Func<Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await action();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Even a canceled activation (a timeout under load) is this promise's failure, not the pass's.
            LogPromiseFailed(logger, ex, id);
        }
    }

    // A job is still going to wake the promise for its step: the one it keeps, or one this process scheduled from the index.
    private bool IsLive(IndexEntry entry, DateTimeOffset now)
    {
        var wokenUntil = entry.NextEscalationAt + options.Value.ReconcileGrace;
        return JobLiveness.IsLive(storage, entry.EscalationJob, wokenUntil, now, _processStarted)
            || (_scheduled.TryGetValue(entry.Id, out var ours) && ours.At == entry.NextEscalationAt && JobLiveness.IsLive(storage, ours.JobId, wokenUntil, now, _processStarted));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconcile: {Checked} open plans of {Sites} sites read in {PlannedMs} ms; {Escalated} promises escalated late (of {Taken} taken), {Rescheduled} put back on schedule ({Jobs} jobs from the index alone, scheduled by {ScheduledMs} ms); done in {ElapsedMs} ms")]
    private static partial void LogReconciled(ILogger logger, int @checked, int sites, long plannedMs, int escalated, int taken, int rescheduled, int jobs, long scheduledMs, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconcile of promise {CommitmentId} failed; the next pass tries again")]
    private static partial void LogPromiseFailed(ILogger logger, Exception exception, Guid commitmentId);
}

/// <summary>Runs the reconcile pass once the silo is up (the step due while the process was down runs now), and registers the recurring one.</summary>
internal sealed partial class ReconcileAtStartup(
    EscalationReconciler reconciler,
    IRecurringJobManager recurring,
    IOptions<EscalationOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<ReconcileAtStartup> logger) : BackgroundService
{
    public const string RecurringJobId = "escalation-reconcile";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the silo and the web server are started: grains are callable.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(started.SetResult))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        recurring.AddOrUpdate<EscalationJobs>(RecurringJobId, j => j.Reconcile(CancellationToken.None), options.Value.ReconcileCron);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await reconciler.RunAsync(stoppingToken);
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Never the end of the host: the recurring pass takes over within a minute.
                LogRetry(logger, ex, attempt);
                if (attempt == 5)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(attempt), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up reconcile attempt {Attempt} of 5 failed; after the fifth the recurring pass takes over")]
    private static partial void LogRetry(ILogger logger, Exception exception, int attempt);
}
