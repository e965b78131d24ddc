using Commitments.Grains.Commitments;
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
    IOptions<EscalationOptions> options,
    TimeProvider time,
    ILogger<EscalationReconciler> logger)
{
    /// <summary>What one pass did: promises whose overdue steps it took, and jobs it scheduled again.</summary>
    public sealed record Result(int Checked, int Escalated, int Rescheduled);

    public async Task<Result> RunAsync(CancellationToken cancellationToken)
    {
        int seen = 0, escalated = 0, rescheduled = 0;
        foreach (var site in await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).List())
        {
            var plans = await grains.GetGrain<ISiteIndexGrain>(site).EscalationPlans();
            var now = time.GetUtcNow();
            foreach (var entry in plans)
            {
                cancellationToken.ThrowIfCancellationRequested();
                seen++;
                try
                {
                    var grain = grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, entry.Id));
                    if (!entry.EscalationPlanned || entry.NextEscalationAt <= now - options.Value.ReconcileGrace)
                    {
                        // Never planned, or a step overdue with no job having taken it: take it now.
                        var run = await grain.Reconcile(jobLost: !JobLiveness.IsLive(storage, entry.EscalationJob));
                        escalated += run.Ran.Count > 0 ? 1 : 0;
                    }
                    else if (entry.NextEscalationAt > now + options.Value.JobLead + options.Value.ReconcileGrace
                        && !JobLiveness.IsLive(storage, entry.EscalationJob))
                    {
                        await grain.Reconcile(jobLost: true);
                        rescheduled++;
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogPromiseFailed(logger, ex, entry.Id);
                }
            }
        }

        if (escalated + rescheduled > 0)
        {
            LogReconciled(logger, seen, escalated, rescheduled);
        }

        return new Result(seen, escalated, rescheduled);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reconcile: {Checked} open plans checked, {Escalated} promises escalated late, {Rescheduled} jobs scheduled again")]
    private static partial void LogReconciled(ILogger logger, int @checked, int escalated, int rescheduled);

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
            catch (Exception ex) when (ex is not OperationCanceledException && attempt < 5)
            {
                LogRetry(logger, ex, attempt);
                await Task.Delay(TimeSpan.FromSeconds(attempt), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Start-up reconcile attempt {Attempt} failed; trying again")]
    private static partial void LogRetry(ILogger logger, Exception exception, int attempt);
}
