using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Commitments;

/// <summary>
/// One promise to a customer: one owner, a deadline, handoffs effective only when accepted, append-only history.
/// Keyed by <see cref="CommitmentKey"/>.
/// </summary>
public interface ICommitmentGrain : IGrainWithStringKey, ITextOutbox
{
    [Idempotent]
    Task<CreateResult> Create(Actor actor, NewCommitment input);

    [Idempotent]
    Task<CommitmentView?> Get();

    /// <summary>From the site's sweep: hands due texts to this silo's dispatcher.</summary>
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

    /// <summary>
    /// Whoever marked it done takes it back within <see cref="CommitmentGrain.UndoWindow"/>: open again, same deadline.
    /// </summary>
    Task<CommitmentView> UndoComplete(Actor actor);

    Task<CommitmentView> AddNote(Actor actor, string? text);

    /// <summary>
    /// Owner, team lead or manager is on it: repeats stop; the next level waits <paramref name="minutes"/> (default: ackTimeout).
    /// </summary>
    Task<CommitmentView> Acknowledge(Actor actor, int? minutes = null);

    /// <summary>Takes every escalation step that is due (each once), and says when the next one is.</summary>
    Task<EscalationRun> Escalate();

    /// <summary>When the next escalation step is due, if the promise is open.</summary>
    [Idempotent]
    Task<DateTimeOffset?> NextEscalationAt();

    /// <summary>
    /// A job woke the promise for the step due <paramref name="at"/>; jobs run early, so the grain waits out the rest itself.
    /// </summary>
    [Idempotent]
    Task EscalateAt(DateTimeOffset at);

    /// <summary>The reconcile pass: takes any step that came due unseen, and reschedules a lost job.</summary>
    /// <param name="jobLost">The pass found the promise's job gone.</param>
    /// <param name="lostJob">The job id seen gone (from the index, maybe stale): a newer job the promise keeps is not dropped.</param>
    Task<EscalationRun> Reconcile(bool jobLost, string? lostJob = null);

    /// <summary>
    /// The customer wrote (by text, or <paramref name="viaStatusPage"/>); returns the answer, if any. Past the cap a text is not
    /// recorded; the status page gets 409, and is limited per hour (429).
    /// </summary>
    Task<string?> CustomerReplied(string body, bool viaStatusPage = false);
}
