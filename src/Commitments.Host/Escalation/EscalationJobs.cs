using System.ComponentModel;
using Commitments.Grains.Commitments;
using Commitments.Grains.Escalation;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Escalation;

/// <summary>How escalation runs (section "Escalation").</summary>
public sealed class EscalationOptions
{
    /// <summary>
    /// How early a job fires before its step's moment (default 10 s). The promise then prepares the
    /// step (its texts' attempts recorded) and waits for the exact moment itself, so a burst due at
    /// one instant is prepared over this lead instead of queueing behind Hangfire's polling and
    /// storage writes. Hangfire keeps scheduled moments in whole seconds, so this is at least 2 s.
    /// </summary>
    public TimeSpan JobLead { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the reconcile pass runs besides start-up (default every minute; Hangfire's cron is per minute at best).</summary>
    public string ReconcileCron { get; set; } = Cron.Minutely();

    /// <summary>A step this late with its job not done is taken by the reconcile pass (default 10 s).</summary>
    public TimeSpan ReconcileGrace { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Threads that call Hangfire's client to schedule jobs (default: 1 with in-memory job storage, which
    /// runs every call on one thread of its own anyway; 4 with Redis, whose calls wait on the network).
    /// </summary>
    public int? SchedulerThreads { get; set; }
}

/// <summary>
/// Schedules a promise's next escalation moment as a Hangfire job, a little early (see
/// <see cref="EscalationOptions.JobLead"/>). Hangfire's client API blocks; the calls run on threads
/// of their own (<see cref="EscalationOptions.SchedulerThreads"/>), so promises await them without
/// tying up the thread pool in a burst.
/// Promises' own requests go first: bulk work (<see cref="ScheduleInBackgroundAsync"/>, the jobs a
/// restart lost, thousands at once, soonest first) gets every ninth turn while they wait, so a promise
/// about to write its step never waits behind it; but a bulk job whose moment to fire has come goes
/// before anything, or the step it wakes would be late.
/// </summary>
internal sealed partial class HangfireEscalationScheduler : IEscalationScheduler, IDisposable
{
    private const int ForegroundTurns = 8;

    private readonly IBackgroundJobClient _jobs;
    private readonly IOptions<EscalationOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<HangfireEscalationScheduler> _logger;
    private readonly System.Collections.Concurrent.ConcurrentQueue<Action> _work = new();
    private readonly System.Collections.Concurrent.ConcurrentQueue<(DateTimeOffset FireAt, Action Run)> _background = new();

    // One permit per request waiting in either queue; a thread that takes a permit takes one request.
    private readonly SemaphoreSlim _pending = new(0);
    private readonly Thread[] _threads;
    private volatile bool _stopping;

    public HangfireEscalationScheduler(IBackgroundJobClient jobs, IOptions<EscalationOptions> options, TimeProvider time, ILogger<HangfireEscalationScheduler> logger, int threads = 1)
    {
        _jobs = jobs;
        _options = options;
        _time = time;
        _logger = logger;
        _threads = [.. Enumerable.Range(0, Math.Max(1, options.Value.SchedulerThreads ?? threads)).Select(i => new Thread(Run) { IsBackground = true, Name = $"Escalation scheduler {i + 1}" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    public Task<string> ScheduleAsync(string commitmentKey, DateTimeOffset at) => Schedule(commitmentKey, at, background: false);

    public Task<string> ScheduleInBackgroundAsync(string commitmentKey, DateTimeOffset at) => Schedule(commitmentKey, at, background: true);

    private Task<string> Schedule(string commitmentKey, DateTimeOffset at, bool background)
    {
        if (_stopping)
        {
            return Task.FromException<string>(new ObjectDisposedException(nameof(HangfireEscalationScheduler), "The host is stopping."));
        }

        var fireAt = at - _options.Value.JobLead;
        var done = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Run()
        {
            try
            {
                done.SetResult(fireAt <= _time.GetUtcNow()
                    ? _jobs.Enqueue<EscalationJobs>(j => j.Wake(commitmentKey, at))
                    : _jobs.Schedule<EscalationJobs>(j => j.Wake(commitmentKey, at), fireAt));
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }

        if (background)
        {
            _background.Enqueue((fireAt, Run));
            _pending.Release();
        }
        else
        {
            Add(Run);
        }

        return done.Task;
    }

    public void Delete(string jobId) => Add(() =>
    {
        try
        {
            _jobs.Delete(jobId);
        }
        catch (Exception ex)
        {
            // A stale job only wakes its promise for nothing: the grain decides.
            LogDeleteFailed(_logger, ex, jobId);
        }
    });

    private void Add(Action work)
    {
        _work.Enqueue(work);
        _pending.Release();
    }

    private void Run()
    {
        var turns = 0;
        while (true)
        {
            _pending.Wait();
            if (Next(ref turns) is { } work)
            {
                work();
            }
            else if (_stopping)
            {
                return;
            }
        }
    }

    // A bulk job due to fire now; else up to ForegroundTurns promise requests in a row, then one bulk.
    private Action? Next(ref int turns)
    {
        if (_background.TryPeek(out var head) && head.FireAt <= _time.GetUtcNow() && _background.TryDequeue(out head))
        {
            return head.Run;
        }

        if (turns < ForegroundTurns && _work.TryDequeue(out var work))
        {
            turns++;
            return work;
        }

        turns = 0;
        return _background.TryDequeue(out head) ? head.Run
            : _work.TryDequeue(out work) ? work
            : null;
    }

    public void Dispose()
    {
        // Requests already queued are still made (they are cheap); then each thread finds nothing and ends.
        _stopping = true;
        _pending.Release(_threads.Length);
        foreach (var thread in _threads)
        {
            thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting escalation job {JobId} failed; it will wake its promise for nothing")]
    private static partial void LogDeleteFailed(ILogger logger, Exception exception, string jobId);
}

/// <summary>
/// The jobs. Thin on purpose: they carry ids and a moment, and the promise grain decides; a job
/// run twice, late, or after the plan moved changes nothing.
/// </summary>
public sealed class EscalationJobs(IGrainFactory grains, EscalationReconciler reconciler, TimeProvider time)
{
    [DisplayName("Escalation step of {0} at {1:u}")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [1, 5, 15])]
    public Task Wake(string commitmentKey, DateTimeOffset at) =>
        // One call at a time: overlapping attempts (each bounded by a timeout) met two activations of
        // the same promise while the directory healed after a silo's death, and its texts went twice.
        SiloLoss.CallAsync(() => grains.GetGrain<ICommitmentGrain>(commitmentKey).EscalateAt(at), time);

    [DisplayName("Reconcile escalations with the promises")]
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public Task Reconcile(CancellationToken cancellationToken) => reconciler.RunAsync(cancellationToken);

    /// <summary>
    /// The pass after a silo died. Not behind the recurring pass's lock: the dead silo may have held
    /// it, and then it frees only when its lease runs out. A pass beside another is safe (each promise
    /// decides once); within a process passes still take turns.
    /// </summary>
    [DisplayName("Reconcile escalations after a silo died")]
    [AutomaticRetry(Attempts = 0)]
    public Task ReconcileAfterSiloLoss(CancellationToken cancellationToken) => reconciler.RunAsync(cancellationToken);
}

/// <summary>Whether a promise's Hangfire job is still going to wake it.</summary>
internal static class JobLiveness
{
    /// <param name="storage">Hangfire's storage.</param>
    /// <param name="jobId">The job the promise keeps.</param>
    /// <param name="wokenUntil">A job that already ran counts as live until then: it woke the promise early, which now waits on its own timer.</param>
    /// <param name="now">The time now.</param>
    /// <param name="since">
    /// When this process started. With a storage that outlives the process (Redis), a job that ran or was
    /// taken by a worker before then woke an activation that is gone with its process: not live. (A job
    /// another host is running counts as dead too when it started before this one; the promise then
    /// hears from both, and decides once.)
    /// </param>
    public static bool IsLive(JobStorage storage, string? jobId, DateTimeOffset? wokenUntil, DateTimeOffset? now, DateTimeOffset since)
    {
        if (jobId is null)
        {
            return false;
        }

        using var connection = storage.GetConnection();
        var state = connection.GetStateData(jobId);
        return state?.Name switch
        {
            "Scheduled" or "Enqueued" or "Awaiting" => true,
            "Processing" => At(state, "StartedAt") >= since,
            "Succeeded" => wokenUntil > now && At(state, "SucceededAt") >= since,
            _ => false,
        };
    }

    private static DateTimeOffset? At(Hangfire.Storage.StateData state, string key) =>
        state.Data?.TryGetValue(key, out var text) == true && Hangfire.Common.JobHelper.DeserializeNullableDateTime(text) is { } at
            ? new DateTimeOffset(DateTime.SpecifyKind(at, DateTimeKind.Utc))
            : null;
}

/// <summary>
/// Calls a promise that decides for itself (safe to call again) through the death of the silo it
/// lived on: until membership declares that silo dead (seconds), calls to the promise fail or hang;
/// they go again every moment, so the step is late by the failure's detection, not by retry delays.
/// </summary>
internal static class SiloLoss
{
    /// <summary>How long to keep trying before the failure goes to the caller.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    /// <summary>How long one attempt may take when the caller bounds it (an escalation step is a few milliseconds of work).</summary>
    public static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(250);

    public static async Task CallAsync(Func<Task> call, TimeProvider time, TimeSpan? attemptTimeout = null, CancellationToken cancellationToken = default)
    {
        var giveUp = time.GetUtcNow() + Patience;
        while (true)
        {
            try
            {
                var attempt = call();
                await (attemptTimeout is { } timeout ? attempt.WaitAsync(timeout, time, cancellationToken) : attempt.WaitAsync(cancellationToken));
                return;
            }
            catch (Exception ex) when (ex is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException && time.GetUtcNow() < giveUp)
            {
                await Task.Delay(Pause, time, cancellationToken);
            }
        }
    }
}
