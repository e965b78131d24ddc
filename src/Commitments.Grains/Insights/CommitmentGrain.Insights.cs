using Commitments.Grains.Insights;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
    private static readonly HashSet<string> InsightTypes =
    [
        EventTypes.Completed, EventTypes.Cancelled, EventTypes.Rated,
        EventTypes.HandoffProposed, EventTypes.HandoffAccepted, EventTypes.HandoffDeclined,
    ];

    // History events already told to the site's daily roll-up (in this activation).
    private int _toldInsights;

    /// <summary>
    /// After a write, the new events that count for insights go to the roll-up of their day (site
    /// time). One-way and best effort: the roll-up counts each event once, and it is derived — an
    /// event lost in a crash between the write and this call is missing there, not in the ledger.
    /// </summary>
    private async Task TellInsightsAsync()
    {
        var history = State.History;
        if (_toldInsights >= history.Count)
        {
            return;
        }

        var fresh = history.Skip(_toldInsights).Where(e => InsightTypes.Contains(e.Type)).ToList();
        _toldInsights = history.Count;
        if (fresh.Count == 0)
        {
            return;
        }

        try
        {
            var zone = (await RequireSite()).Zone;
            foreach (var group in fresh.Select(InsightOf).GroupBy(e => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.At, zone).DateTime)))
            {
                IInsightDayGrain.For(GrainFactory, SiteId, group.Key).Record([.. group]).Ignore();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogInsightsFailed(logger, ex, State.Id);
        }
    }

    private InsightEvent InsightOf(HistoryEvent e)
    {
        var basic = new InsightEvent(State.Id, e.Seq, e.Type, e.At, State.Owner, State.DueAt);
        switch (e.Type)
        {
            case EventTypes.Completed:
            case EventTypes.Cancelled:
                return basic;
            case EventTypes.Rated:
                return basic with { Rating = int.TryParse(e.Details.GetValueOrDefault("rating"), out var rating) ? rating : null };
            case EventTypes.HandoffProposed:
                return basic with { From = e.Details.GetValueOrDefault("from"), To = e.Details.GetValueOrDefault("to") };
            default:
                // Accepted or declined: the offer it answers is the last one proposed before it.
                var offer = State.History.LastOrDefault(p => p.Seq < e.Seq && p.Type == EventTypes.HandoffProposed);
                return basic with
                {
                    From = offer?.Details.GetValueOrDefault("from") ?? e.Details.GetValueOrDefault("offeredBy"),
                    To = e.Details.GetValueOrDefault("to"),
                    OfferedAt = offer?.At,
                };
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell insights about promise {CommitmentId}; the roll-up misses it until rebuilt")]
    private static partial void LogInsightsFailed(ILogger logger, Exception exception, Guid commitmentId);
}
