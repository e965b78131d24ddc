using System.ComponentModel;
using Commitments.Grains.Commitments;
using Hangfire;

namespace Commitments.Host.Escalation;

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
