using Commitments.Grains.Insights;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Commitments;

public sealed partial class CommitmentGrain
{
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

        var fresh = history.Skip(_toldInsights).Where(InsightEvents.Counts).ToList();
        _toldInsights = history.Count;
        if (fresh.Count == 0)
        {
            return;
        }

        try
        {
            var zone = (await RequireSite()).Zone;
            foreach (var group in fresh.Select(e => InsightEvents.From(State, e)).GroupBy(e => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.At, zone).DateTime)))
            {
                IInsightDayGrain.For(GrainFactory, SiteId, group.Key).Record([.. group]).Ignore();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogInsightsFailed(logger, ex, State.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell insights about promise {CommitmentId}; the roll-up misses it until rebuilt")]
    private static partial void LogInsightsFailed(ILogger logger, Exception exception, Guid commitmentId);
}
