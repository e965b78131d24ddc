using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Commitments;

/// <summary>
/// One promise made to a customer: one owner, a deadline, handoffs that take effect only when
/// accepted, and an append-only history. Keyed by <see cref="CommitmentKey"/>.
/// </summary>
public interface ICommitmentGrain : IGrainWithStringKey, ITextOutbox
{
    [Idempotent]
    Task<CreateResult> Create(Actor actor, NewCommitment input);

    [Idempotent]
    Task<CommitmentView?> Get();

    /// <summary>Its site's sweep found texts due: the promise hands them to the dispatcher of the silo it lives on.</summary>
    [Orleans.Concurrency.OneWay]
    Task WakeTexts();

    Task<CommitmentView> ProposeHandoff(Actor actor, string? to, string? note);

    Task<CommitmentView> WithdrawHandoff(Actor actor);

    Task<CommitmentView> AcceptHandoff(Actor actor);

    Task<CommitmentView> DeclineHandoff(Actor actor, string? reason);

    Task<CommitmentView> Complete(Actor actor, string? note);

    Task<CommitmentView> Reschedule(Actor actor, string? dueAt, string? reason);

    Task<CommitmentView> Cancel(Actor actor, string? reason);

    Task<CommitmentView> Reopen(Actor actor, string? dueAt, string? reason);

    /// <summary>The person who just marked it done takes that back (within <see cref="CommitmentGrain.UndoWindow"/>): open again, same deadline, recorded as an undo.</summary>
    Task<CommitmentView> UndoComplete(Actor actor);

    Task<CommitmentView> AddNote(Actor actor, string? text);

    /// <summary>The owner, a lead of their team or a manager is on it: repeats stop, and the next level waits <paramref name="minutes"/> (default: the policy's ackTimeout).</summary>
    Task<CommitmentView> Acknowledge(Actor actor, int? minutes = null);

    /// <summary>Takes every escalation step that is due (each once), and says when the next one is.</summary>
    Task<EscalationRun> Escalate();

    /// <summary>When the next escalation step is due, if the promise is open.</summary>
    [Idempotent]
    Task<DateTimeOffset?> NextEscalationAt();

    /// <summary>
    /// A scheduled job woke the promise for the step due at <paramref name="at"/>: if that is still
    /// ahead, the grain waits for the exact moment itself (jobs run a little early), else it escalates now.
    /// </summary>
    [Idempotent]
    Task EscalateAt(DateTimeOffset at);

    /// <summary>The reconcile pass: takes any step that came due unseen, and schedules the next one again if its job was lost.</summary>
    /// <param name="jobLost">The pass found the promise's job gone.</param>
    /// <param name="lostJob">The job id the pass saw gone (from the index, maybe older than the promise): a newer job the promise keeps is not dropped.</param>
    Task<EscalationRun> Reconcile(bool jobLost, string? lostJob = null);

    /// <summary>
    /// The customer wrote about this promise (by text, or on the status page: <paramref name="viaStatusPage"/>);
    /// returns what to answer them, if anything. Past the promise's cap a text is not recorded; the
    /// status page is told (409), and limited per hour (429).
    /// </summary>
    Task<string?> CustomerReplied(string body, bool viaStatusPage = false);
}
