using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Insights;

/// <summary>What of a promise's history counts for insights, and how the roll-up is rebuilt from the ledger.</summary>
public static class InsightEvents
{
    private static readonly HashSet<string> Types =
    [
        EventTypes.Completed, EventTypes.Cancelled, EventTypes.Rated,
        EventTypes.HandoffProposed, EventTypes.HandoffAccepted, EventTypes.HandoffDeclined,
        EventTypes.Reopened,
    ];

    /// <summary>A reopening counts only when the guest asked (a promise they say was not done was not kept).</summary>
    public static bool Counts(HistoryEvent e) =>
        Types.Contains(e.Type) && (e.Type != EventTypes.Reopened || e.Actor.Kind == Common.Actor.CustomerKind || e.Read().Undo);

    private static bool GuestReopenedBefore(CommitmentState s, int seq) =>
        s.History.Any(p => p.Seq < seq && p.Type == EventTypes.Reopened && p.Actor.Kind == Common.Actor.CustomerKind);

    /// <summary>One history event of <paramref name="s"/> as the roll-up counts it.</summary>
    public static InsightEvent From(CommitmentState s, HistoryEvent e)
    {
        var basic = new InsightEvent(s.Id, e.Seq, e.Type, e.At, s.Owner, s.DueAt);
        switch (e.Type)
        {
            case EventTypes.Completed when GuestReopenedBefore(s, e.Seq):
                return basic with { Repeat = true };
            case EventTypes.Reopened when e.Read().Undo:
                // Uncounts the completion just before it, on its day, unless that one never counted.
                var taken = s.History.Last(p => p.Type == EventTypes.Completed && p.Seq < e.Seq);
                return GuestReopenedBefore(s, taken.Seq)
                    ? basic with { Repeat = true }
                    : basic with { At = taken.At, Owner = OwnerAt(s, taken.Seq), DueAt = DueAt(s, taken), Undo = true };
            case EventTypes.Reopened:
                // Counted on the first completion's day, with that moment's owner and deadline.
                var first = s.History.LastOrDefault(p => p.Type == EventTypes.Completed && p.Seq < e.Seq);
                return first is null || GuestReopenedBefore(s, e.Seq)
                    ? basic with { Repeat = true }
                    : basic with { At = first.At, Owner = OwnerAt(s, first.Seq), DueAt = DueAt(s, first) };
            case EventTypes.Completed:
            case EventTypes.Cancelled:
                // The owner and deadline at that moment: the last handoff accepted and reschedule before it.
                return basic with { Owner = OwnerAt(s, e.Seq), DueAt = DueAt(s, e) };
            case EventTypes.Rated:
                // Counted on the day of the promise's first rating, where a later one replaces it.
                return basic with
                {
                    At = s.History.First(p => p.Type == EventTypes.Rated).At,
                    Owner = OwnerAt(s, e.Seq),
                    Rating = e.Read().Rating,
                };
            case EventTypes.HandoffProposed:
                return basic with { From = e.Read().From, To = e.Read().To };
            default:
                // Accepted or declined: the offer it answers is the last one proposed before it.
                var offer = s.History.LastOrDefault(p => p.Seq < e.Seq && p.Type == EventTypes.HandoffProposed);
                return basic with
                {
                    From = offer?.Read().From ?? e.Read().OfferedBy,
                    To = e.Read().To,
                    OfferedAt = offer?.At,
                };
        }
    }

    private static string OwnerAt(CommitmentState s, int seq) =>
        s.History.LastOrDefault(p => p.Seq < seq && p.Type == EventTypes.HandoffAccepted)?.Read().To
        ?? s.History.FirstOrDefault(p => p.Type == EventTypes.Created)?.Read().Owner
        ?? s.Owner;

    private static DateTimeOffset DueAt(CommitmentState s, HistoryEvent e)
    {
        // A completion records its deadline; otherwise the last reschedule before it, or the first one.
        return e.Read().DueAt
            ?? s.History.LastOrDefault(p => p.Seq < e.Seq && p.Type == EventTypes.Rescheduled)?.Read().NewDueAt
            ?? s.History.FirstOrDefault(p => p.Type == EventTypes.Created)?.Read().DueAt
            ?? s.DueAt;
    }

    /// <summary>
    /// Recounts a site's days from the ledger, for missed events (a crash before telling) or changed rules. Returns promises read.
    /// </summary>
    public static async Task<int> RebuildAsync(IGrainFactory grains, ICommitmentStateSource source, string site, CancellationToken cancellationToken)
    {
        var siteGrain = grains.GetGrain<ISiteGrain>(site);
        var info = await siteGrain.GetInfo() ?? throw new InvalidOperationException($"There is no site '{site}'.");
        var teamOf = InsightDayGrain.TeamsOf(await siteGrain.ListStaff(includeInactive: true));

        var days = new Dictionary<DateOnly, InsightDayState>();
        var read = 0;
        await foreach (var state in source.ChangedSinceAsync(site, null, cancellationToken))
        {
            if (!state.Exists)
            {
                continue;
            }

            read++;
            foreach (var e in state.History.Where(Counts).Select(e => From(state, e)))
            {
                var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.At, info.Zone).DateTime);
                var roll = days.GetValueOrDefault(day) ?? (days[day] = new InsightDayState());
                InsightDayState.Apply(roll, [e], teamOf);
            }
        }

        await Parallel.ForEachAsync(days, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken },
            async (day, _) => await IInsightDayGrain.For(grains, site, day.Key).Replace(day.Value));
        return read;
    }
}
