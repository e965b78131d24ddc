using Commitments.Grains.Escalation;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Escalation;

/// <summary>
/// Schedules escalation jobs <see cref="EscalationOptions.JobLead"/> early, on threads of their own
/// (<see cref="EscalationOptions.SchedulerThreads"/>) since Hangfire's client blocks. Promises' requests go first; bulk work
/// (<see cref="ScheduleInBackgroundAsync"/>) gets every ninth turn, except a bulk job already due, which goes at once.
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

    public HangfireEscalationScheduler(
        IBackgroundJobClient jobs,
        IOptions<EscalationOptions> options,
        TimeProvider time,
        ILogger<HangfireEscalationScheduler> logger,
        int threads = 1)
    {
        _jobs = jobs;
        _options = options;
        _time = time;
        _logger = logger;
        _threads = [.. Enumerable.Range(0, Math.Max(1, options.Value.SchedulerThreads ?? threads))
            .Select(i => new Thread(Run) { IsBackground = true, Name = $"Escalation scheduler {i + 1}" })];
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
        // Queued requests are still made (they are cheap); then each thread ends.
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
