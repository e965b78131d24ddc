using Commitments.Grains.Commitments;
using Commitments.Grains.Escalation;
using Commitments.Grains.Index;
using Commitments.Grains.Sites;
using Commitments.Host.Cluster;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Escalation;

/// <summary>
/// The promises are the truth, Hangfire's jobs derived: at start-up and every minute, a step due whose job never ran
/// is taken now, once, and a promise whose job is gone gets a new one.
/// </summary>
public sealed partial class EscalationReconciler(
    IGrainFactory grains,
    JobStorage storage,
    IEscalationScheduler scheduler,
    Stored.StartupIndexSnapshot startupIndexes,
    IndexCatchUpGate catchUps,
    IOptions<EscalationOptions> options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<EscalationReconciler> logger)
{
    // Jobs scheduled from the index alone (the promise keeps its old job id until its next write); null: the pass woke it.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Guid, (string? JobId, DateTimeOffset At)> _scheduled =
        new();

    // A job that ran before this woke a promise in an earlier process.
    private readonly DateTimeOffset _processStarted = time.GetUtcNow();

    // A job that ran before a silo died may have woken an activation that died with it.
    private DateTimeOffset _lastSiloLoss = DateTimeOffset.MinValue;

    private DateTimeOffset LiveSince => _processStarted > _lastSiloLoss ? _processStarted : _lastSiloLoss;

    /// <summary>Jobs that ran before now no longer count as having woken a live promise.</summary>
    public void SiloLost() => _lastSiloLoss = time.GetUtcNow();

    /// <summary>What one pass did; at start-up <paramref name="FromStoredPages"/> came from the indexes' stored copy.</summary>
    public sealed record Result(int Checked, int Escalated, int Rescheduled, int FromStoredPages = 0);

    /// <summary>Promises one pass works on at once.</summary>
    public const int Parallelism = 32;

    private TimeSpan WakeAhead => options.Value.WakeAhead < options.Value.JobLead ? options.Value.WakeAhead : options.Value.JobLead;

    // One pass at a time in this process; the start-up and recurring passes may meet.
    private readonly SemaphoreSlim _running = new(1, 1);

    public async Task<Result> RunAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            return await PassAsync(PlansFromIndexesAsync, cancellationToken);
        }
        finally
        {
            _running.Release();
        }
    }

    /// <summary>
    /// Loading every index takes seconds while steps come due, so this first works from the indexes' stored copy, then
    /// makes the full pass for what it missed. A stale copy is safe: each promise decides from its own state.
    /// </summary>
    public async Task<Result> RunAtStartupAsync(CancellationToken cancellationToken)
    {
        await _running.WaitAsync(cancellationToken);
        try
        {
            var early = new Result(0, 0, 0);
            try
            {
                // The indexes re-read their promises once the steps that came due are taken.
                early = await PassAsync(StoredPlansAsync, cancellationToken, urgentTaken: catchUps.Open);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // The full pass does the same from the indexes, only later.
                LogStoredPlansFailed(logger, ex);
            }

            var full = await PassAsync(PlansFromIndexesAsync, cancellationToken);
            return new Result(
                full.Checked, early.Escalated + full.Escalated, early.Rescheduled + full.Rescheduled, early.Escalated + early.Rescheduled);
        }
        finally
        {
            catchUps.Open();

            // Read again if a retry needs it; otherwise the memory goes.
            startupIndexes.Release();
            _running.Release();
        }
    }

    private delegate Task<(List<(string Site, IndexEntry Entry)> Plans, int Sites, string Source)> PlanSource(
        CancellationToken cancellationToken);

    private async Task<Result> PassAsync(PlanSource source, CancellationToken cancellationToken, Action? urgentTaken = null)
    {
        var started = time.GetTimestamp();
        foreach (var (id, job) in _scheduled)
        {
            if (job.At < time.GetUtcNow() - TimeSpan.FromMinutes(10))
            {
                _scheduled.TryRemove(id, out _);
            }
        }

        // Urgent steps first, in moment order; promises due within the job lead are woken as their moments approach; new jobs
        // from the index alone wait for the urgent ones (not past the moment the first of them must be awake), so the first
        // seconds after a restart carry the late steps, not every open promise's rescheduling. All plans load first, since
        // taking steps meanwhile slows loading.
        var tally = new Tally(started);
        var (plans, sites, from) = await source(cancellationToken);
        var (urgent, soon, schedule) = Classify(plans, tally, cancellationToken);
        WakeAsTheyApproach(soon);
        var urgentDone = TakeUrgentAsync();
        var mustWake = schedule.Count > 0 ? schedule[0].Entry.NextEscalationAt!.Value - WakeAhead - time.GetUtcNow() : TimeSpan.Zero;
        if (mustWake > TimeSpan.Zero)
        {
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            await Task.WhenAny(urgentDone, Task.Delay(mustWake, time, waiting.Token));
            await waiting.CancelAsync();
        }

        await Task.WhenAll(urgentDone, ScheduleAllAsync(schedule, tally, cancellationToken));

        if (tally.Escalated + tally.Rescheduled > 0)
        {
            LogReconciled(logger, tally.Checked, sites, from, (long)tally.Planned.TotalMilliseconds, tally.Escalated, tally.Taken,
                tally.Rescheduled, tally.Jobs, (long)tally.Scheduled.TotalMilliseconds, (long)time.GetElapsedTime(started).TotalMilliseconds);
        }

        return new Result(tally.Checked, tally.Escalated, tally.Rescheduled);

        async Task TakeUrgentAsync()
        {
            try
            {
                await UrgentAsync(urgent, tally, cancellationToken);
            }
            finally
            {
                urgentTaken?.Invoke();
            }
        }
    }

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

    // Each site's index is its own grain, so they load side by side.
    private async Task<(List<(string Site, IndexEntry Entry)> Plans, int Sites, string Source)> PlansFromIndexesAsync(
        CancellationToken cancellationToken)
    {
        var sites = await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).List();
        var plans = new System.Collections.Concurrent.ConcurrentBag<(string Site, IndexEntry Entry)>();
        await Parallel.ForEachAsync(
            sites,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (site, _) =>
            {
                foreach (var entry in await grains.GetGrain<ISiteIndexGrain>(site).EscalationPlans())
                {
                    plans.Add((site, entry));
                }
            });

        return ([.. plans], sites.Count, "the site indexes");
    }

    // What the indexes last wrote, without activating them.
    private async Task<(List<(string Site, IndexEntry Entry)> Plans, int Sites, string Source)> StoredPlansAsync(
        CancellationToken cancellationToken)
    {
        var all = await startupIndexes.GetAsync(cancellationToken);
        return (
            [.. all.Where(e => SiteIndexGrain.IsEscalationPlan(e.Entry))],
            all.Select(e => e.Site).Distinct(StringComparer.Ordinal).Count(),
            "the indexes' stored pages");
    }

    // The most urgent first: never planned, then by the next step's moment.
    private (List<Urgent> Now, List<Urgent> Soon, List<(string Site, IndexEntry Entry)> Schedule) Classify(
        List<(string Site, IndexEntry Entry)> work, Tally tally, CancellationToken cancellationToken)
    {
        work.Sort((a, b) => Nullable.Compare(
            a.Entry.EscalationPlanned ? a.Entry.NextEscalationAt : null,
            b.Entry.EscalationPlanned ? b.Entry.NextEscalationAt : null));

        // Each liveness check is a storage round trip (Redis), so they run side by side.
        var now = time.GetUtcNow();
        var live = new bool[work.Count];
        Parallel.For(
            0,
            work.Count,
            new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            i => live[i] = IsLive(work[i].Entry, now));

        var urgent = new List<Urgent>();
        var soon = new List<Urgent>();
        var schedule = new List<(string Site, IndexEntry Entry)>();
        for (var i = 0; i < work.Count; i++)
        {
            var (site, entry) = work[i];
            var overdue = entry.NextEscalationAt <= now - options.Value.ReconcileGrace;
            var ahead = entry.NextEscalationAt > now;
            if (!entry.EscalationPlanned || overdue || (!live[i] && !ahead))
            {
                urgent.Add(new Urgent(site, entry, live[i], Take: true));
            }
            else if (!live[i] && entry.NextEscalationAt - WakeAhead <= now)
            {
                // Due in moments: wake the promise here, in order with the steps due.
                urgent.Add(new Urgent(site, entry, Live: false, Take: false));
            }
            else if (!live[i] && entry.NextEscalationAt - options.Value.JobLead <= now)
            {
                // A job would fire at once: this process wakes it instead, as its moment approaches.
                soon.Add(new Urgent(site, entry, Live: false, Take: false));
                _scheduled[entry.Id] = (null, entry.NextEscalationAt!.Value);
            }
            else if (!live[i] && entry.NextEscalationAt is not null)
            {
                schedule.Add((site, entry));
            }
        }

        (tally.Checked, tally.Taken, tally.Jobs, tally.Planned) =
            (work.Count, urgent.Count(u => u.Take), schedule.Count, time.GetElapsedTime(tally.Started));
        tally.Rescheduled += soon.Count;
        return (urgent, soon, schedule);
    }

    /// <summary>A promise to take its due step now (<paramref name="Take"/>), or to wake for a step within the job lead.</summary>
    private sealed record Urgent(string Site, IndexEntry Entry, bool Live, bool Take);

    // Most urgent first; a woken promise prepares the step and waits for the moment, as its job would make it.
    private Task UrgentAsync(List<Urgent> urgent, Tally tally, CancellationToken cancellationToken) =>
        Parallel.ForEachAsync(
            urgent,
            new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (item, _) =>
                await ForPromiseAsync(item.Entry.Id, async () =>
                {
                    var promise = grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(item.Site, item.Entry.Id));
                    if (item.Take)
                    {
                        var run = await promise.Reconcile(jobLost: !item.Live, item.Entry.EscalationJob);
                        Interlocked.Increment(ref run.Ran.Count > 0 ? ref tally.Escalated : ref tally.Rescheduled);
                        return;
                    }

                    await WakeAsync(item);
                    Interlocked.Increment(ref tally.Rescheduled);
                }, cancellationToken));

    // The promise prepares the step and waits for the moment, as its job would make it; the pass does not wait for these.
    private void WakeAsTheyApproach(List<Urgent> soon)
    {
        if (soon.Count == 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            var stopping = lifetime.ApplicationStopping;
            using var slots = new SemaphoreSlim(Parallelism);
            var running = new List<Task>(soon.Count);
            try
            {
                foreach (var item in soon)
                {
                    var wait = item.Entry.NextEscalationAt!.Value - WakeAhead - time.GetUtcNow();
                    if (wait > TimeSpan.Zero)
                    {
                        await Task.Delay(wait, time, stopping);
                    }

                    await slots.WaitAsync(stopping);
                    running.Add(WakeOneAsync(item, slots, stopping));
                }

                await Task.WhenAll(running);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // The host stops: the next start's pass wakes them.
            }
        });
    }

    private async Task WakeOneAsync(Urgent item, SemaphoreSlim slots, CancellationToken stopping)
    {
        try
        {
            await ForPromiseAsync(item.Entry.Id, () => WakeAsync(item), stopping, onFailure: () => _scheduled.TryRemove(item.Entry.Id, out _));
        }
        finally
        {
            slots.Release();
        }
    }

    private async Task WakeAsync(Urgent item)
    {
        var at = item.Entry.NextEscalationAt!.Value;
        await grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(item.Site, item.Entry.Id)).EscalateAt(at);
        _scheduled[item.Entry.Id] = (null, at);
    }

    // The promise decides when the job wakes it; a step that came due meanwhile is woken at once.
    private async Task ScheduleAllAsync(List<(string Site, IndexEntry Entry)> schedule, Tally tally, CancellationToken cancellationToken)
    {
        await Parallel.ForEachAsync(
            schedule,
            new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken },
            async (item, _) =>
                await ForPromiseAsync(item.Entry.Id, async () =>
                {
                    var at = item.Entry.NextEscalationAt!.Value;
                    _scheduled[item.Entry.Id] =
                        (await scheduler.ScheduleInBackgroundAsync(CommitmentKey.For(item.Site, item.Entry.Id), at), at);
                    Interlocked.Increment(ref tally.Rescheduled);
                }, cancellationToken));
        tally.Scheduled = time.GetElapsedTime(tally.Started);
    }

    private async Task ForPromiseAsync(Guid id, Func<Task> action, CancellationToken cancellationToken, Action? onFailure = null)
    {
        try
        {
            // A promise whose silo just died answers again once membership says so.
            await SiloLoss.CallAsync(action, time, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Even a canceled activation (a timeout under load) is this promise's failure, not the pass's; the next pass tries again.
            onFailure?.Invoke();
            LogPromiseFailed(logger, ex, id);
        }
    }

    // Live: the job the promise keeps, or one this process scheduled from the index.
    private bool IsLive(IndexEntry entry, DateTimeOffset now)
    {
        var wokenUntil = entry.NextEscalationAt + options.Value.ReconcileGrace;
        return JobLiveness.IsLive(storage, entry.EscalationJob, wokenUntil, now, LiveSince)
            || (_scheduled.TryGetValue(entry.Id, out var ours) && ours.At == entry.NextEscalationAt
                && (ours.JobId is null ? wokenUntil > now : JobLiveness.IsLive(storage, ours.JobId, wokenUntil, now, LiveSince)));
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Reconcile: {Checked} open plans of {Sites} sites read from {Source} in {PlannedMs} ms; "
            + "{Escalated} promises escalated late (of {Taken} taken), {Rescheduled} put back on schedule "
            + "({Jobs} jobs from the index alone, scheduled by {ScheduledMs} ms); done in {ElapsedMs} ms")]
    private static partial void LogReconciled(
        ILogger logger, int @checked, int sites, string source, long plannedMs, int escalated, int taken, int rescheduled, int jobs,
        long scheduledMs, long elapsedMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up reconcile could not read the indexes' stored pages; the full pass follows")]
    private static partial void LogStoredPlansFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reconcile of promise {CommitmentId} failed; the next pass tries again")]
    private static partial void LogPromiseFailed(ILogger logger, Exception exception, Guid commitmentId);
}

/// <summary>Runs the reconcile pass once the silo is up, for steps due while the host was down, and registers the recurring one.</summary>
internal sealed partial class ReconcileAtStartup(
    EscalationReconciler reconciler,
    IndexCatchUpGate catchUps,
    IRecurringJobManager recurring,
    IBackgroundJobClient jobs,
    IOptions<EscalationOptions> options,
    IHostApplicationLifetime lifetime,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    ILogger<ReconcileAtStartup> logger) : BackgroundService
{
    public const string RecurringJobId = "escalation-reconcile";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);

        recurring.AddOrUpdate<EscalationJobs>(RecurringJobId, j => j.Reconcile(CancellationToken.None), options.Value.ReconcileCron);
        if (Cluster.ClusterMembership.JoinedRunningCluster(membership, silo.SiloAddress))
        {
            // The running hosts have kept every promise's jobs (in Redis, shared): nothing to catch up on.
            catchUps.Open();
            LogJoined(logger);
        }
        else
        {
            await RunStartupPassAsync(stoppingToken);
        }

        await PassOnSiloLossAsync(stoppingToken);
    }

    private async Task RunStartupPassAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                await reconciler.RunAtStartupAsync(stoppingToken);
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

    /// <summary>
    /// A dead silo's early-woken promises are gone, so one host (the lowest live address, the same on every host)
    /// queues a pass at once instead of waiting for the minutely one.
    /// </summary>
    private async Task PassOnSiloLossAsync(CancellationToken stoppingToken)
    {
        await foreach (var snapshot in Cluster.ClusterMembership.SiloDeathsAsync(membership, stoppingToken))
        {
            reconciler.SiloLost();
            var leader = snapshot.Members.Values
                .Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).Min();
            if (silo.SiloAddress.Equals(leader))
            {
                try
                {
                    jobs.Enqueue<EscalationJobs>(j => j.ReconcileAfterSiloLoss(CancellationToken.None));
                    LogPassAfterSiloLoss(logger);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // The minutely pass still comes.
                    LogEnqueueFailed(logger, ex);
                }
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Joined a running cluster: its hosts keep the escalation jobs, so no start-up pass")]
    private static partial void LogJoined(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queuing a reconcile pass after a silo died failed; the minutely pass takes over")]
    private static partial void LogEnqueueFailed(ILogger logger, Exception exception);

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "A silo of the cluster died: queued a reconcile pass for the steps its promises were about to take")]
    private static partial void LogPassAfterSiloLoss(ILogger logger);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Start-up reconcile attempt {Attempt} of 5 failed; after the fifth the recurring pass takes over")]
    private static partial void LogRetry(ILogger logger, Exception exception, int attempt);
}
