using Commitments.Grains.Commitments;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Insights;

/// <summary>
/// Tells the daily roll-ups new events after each write, one-way and best effort: the roll-up is derived, so an event lost
/// in a crash is missing only there (a rebuild counts it).
/// </summary>
public sealed partial class InsightFeed(IGrainFactory grains, ILogger logger)
{
    // History events already told (in this activation).
    private int _told;

    /// <summary>The promise was read from storage: what it holds was told before.</summary>
    public void CaughtUp(int historyCount) => _told = historyCount;

    public async Task TellAsync(CommitmentState state, string site, Func<Task<TimeZoneInfo>> zoneOfSite)
    {
        var history = state.History;
        if (_told >= history.Count)
        {
            return;
        }

        var fresh = history.Skip(_told).Where(InsightEvents.Counts).ToList();
        _told = history.Count;
        if (fresh.Count == 0)
        {
            return;
        }

        try
        {
            var zone = await zoneOfSite();
            foreach (var group in fresh.Select(e => InsightEvents.From(state, e))
                .GroupBy(e => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(e.At, zone).DateTime)))
            {
                IInsightDayGrain.For(grains, site, group.Key).Record([.. group]).Ignore();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogInsightsFailed(logger, ex, state.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell insights about promise {CommitmentId}; the roll-up misses it until rebuilt")]
    private static partial void LogInsightsFailed(ILogger logger, Exception exception, Guid commitmentId);
}
