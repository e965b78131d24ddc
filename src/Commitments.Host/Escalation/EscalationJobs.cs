using System.ComponentModel;
using Commitments.Grains.Commitments;
using Hangfire;

namespace Commitments.Host.Escalation;

/// <summary>Thin jobs: ids and a moment; the promise grain decides, so a twice-run, late or stale job changes nothing.</summary>
public sealed class EscalationJobs(IGrainFactory grains, EscalationReconciler reconciler, TimeProvider time)
{
    [DisplayName("Escalation step of {0} at {1:u}")]
    [AutomaticRetry(Attempts = 3, DelaysInSeconds = [1, 5, 15])]
    public Task Wake(string commitmentKey, DateTimeOffset at) =>
        // One call at a time: overlapping attempts can meet two activations after a silo dies and text twice.
        SiloLoss.CallAsync(() => grains.GetGrain<ICommitmentGrain>(commitmentKey).EscalateAt(at), time);

    [DisplayName("Reconcile escalations with the promises")]
    [AutomaticRetry(Attempts = 0)]
    [DisableConcurrentExecution(timeoutInSeconds: 60)]
    public Task Reconcile(CancellationToken cancellationToken) => reconciler.RunAsync(cancellationToken);

    /// <summary>
    /// The pass after a silo died; not behind the recurring lock, which the dead silo may hold until its lease ends.
    /// Overlapping passes are safe: each promise decides once.
    /// </summary>
    [DisplayName("Reconcile escalations after a silo died")]
    [AutomaticRetry(Attempts = 0)]
    public Task ReconcileAfterSiloLoss(CancellationToken cancellationToken) => reconciler.RunAsync(cancellationToken);
}
