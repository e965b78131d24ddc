using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Commitments;

/// <summary>What the promise grain lends the collaborators it owns: its state, site and clock, its history, its write and its timers.</summary>
internal interface IPromise
{
    /// <summary>The stored state as this activation holds it (a reload replaces it: read it through here each time).</summary>
    CommitmentState State { get; }

    string SiteId { get; }

    /// <summary>The grain's own key, for the jobs that wake it.</summary>
    string Key { get; }

    DateTimeOffset Now { get; }

    IGrainFactory Grains { get; }

    ISiteGrain Site { get; }

    Task<SiteInfo> RequireSite();

    Task<IReadOnlyDictionary<string, StaffInfo>> StaffDirectory();

    /// <summary>Adds a history event; its texts are planned at the next write unless <paramref name="planTexts"/> is false (prepared ahead).</summary>
    HistoryEvent Append(Actor actor, DateTimeOffset at, string type, Dictionary<string, string> details, bool planTexts = true);

    /// <summary>Swaps an event not written yet for a copy with more details (texts planned from the copy).</summary>
    void Replace(HistoryEvent old, HistoryEvent noted);

    /// <summary>The save pipeline: texts and job planned, state written, then what derives from it told.</summary>
    Task SaveAsync(bool indexInBackground = false);

    /// <summary>Before a write (or a send that comes before one): what the new events cause, planned in memory.</summary>
    Task PlanInMemoryAsync();

    Task EnsureLoadedAsync();

    /// <summary>Reads the stored state again, forgetting what memory had that was not written.</summary>
    Task LoadAsync();

    /// <summary>Writes the state alone (no other grain asked), for a silo that is stopping.</summary>
    Task WriteOnlyAsync(CancellationToken cancellationToken);

    Task TellIndexAsync();

    Task<EscalationRun> Escalate();

    IGrainTimer StartTimer(Func<Task> tick, TimeSpan dueTime, TimeSpan period);
}
