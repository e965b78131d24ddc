using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Commitments;

/// <summary>What the promise grain lends the collaborators it owns.</summary>
internal interface IPromise
{
    /// <summary>A reload replaces it: read it through here each time.</summary>
    CommitmentState State { get; }

    string SiteId { get; }

    /// <summary>For the jobs that wake it.</summary>
    string Key { get; }

    DateTimeOffset Now { get; }

    IGrainFactory Grains { get; }

    ISiteGrain Site { get; }

    Task<SiteInfo> RequireSite();

    Task<IReadOnlyDictionary<string, StaffInfo>> StaffDirectory();

    /// <summary>Adds an event; its texts are planned at the next write unless <paramref name="planTexts"/> is false.</summary>
    HistoryEvent Append(Actor actor, DateTimeOffset at, string type, Dictionary<string, string> details, bool planTexts = true);

    /// <summary>Swaps an unwritten event for a copy with more details.</summary>
    void Replace(HistoryEvent old, HistoryEvent noted);

    /// <summary>The save pipeline: texts and job planned, state written, then what derives from it told.</summary>
    Task SaveAsync(bool indexInBackground = false);

    /// <summary>Plans in memory what new events cause, before a write or a send that precedes one.</summary>
    Task PlanInMemoryAsync();

    Task EnsureLoadedAsync();

    /// <summary>Re-reads stored state, forgetting anything unwritten.</summary>
    Task LoadAsync();

    /// <summary>Writes the state alone (no other grain asked), for a stopping silo.</summary>
    Task WriteOnlyAsync(CancellationToken cancellationToken);

    Task TellIndexAsync();

    Task<EscalationRun> Escalate();

    IGrainTimer StartTimer(Func<Task> tick, TimeSpan dueTime, TimeSpan period);
}
