namespace Commitments.Grains.Insights;

/// <summary>One team's row of the gap map.</summary>
public sealed record TeamRow(
    string Team, int Done, int OnTime, int? MedianLateMinutes, int? P90LateMinutes, int Cancelled, int RatingSum, int Ratings);

/// <summary>The CX gap map of a period: per team, the handoff matrix ("from&gt;to" keys), on time by day.</summary>
public sealed record GapMap(
    DateOnly From,
    DateOnly To,
    IReadOnlyList<TeamRow> Teams,
    IReadOnlyDictionary<string, HandoffCell> Handoffs,
    IReadOnlyList<(DateOnly Date, int OnTime, int Done)> Trend)
{
    /// <summary>
    /// Adds up one roll-up per day: a year is 365 small reads, never a scan of the promises.
    /// </summary>
    public static async Task<GapMap> LoadAsync(IGrainFactory grains, string site, DateOnly from, DateOnly to)
    {
        var dates = Enumerable.Range(0, to.DayNumber - from.DayNumber + 1).Select(from.AddDays).ToList();
        var days = await Task.WhenAll(dates.Select(d => IInsightDayGrain.For(grains, site, d).Get()));

        var teams = new Dictionary<string, TeamDay>();
        var handoffs = new Dictionary<string, HandoffCell>();
        var trend = new List<(DateOnly, int, int)>();
        for (var i = 0; i < days.Length; i++)
        {
            var day = days[i];
            trend.Add((dates[i], day.Teams.Values.Sum(t => t.OnTime), day.Teams.Values.Sum(t => t.Completed)));
            foreach (var (team, t) in day.Teams)
            {
                var sum = teams.GetValueOrDefault(team) ?? (teams[team] = new TeamDay());
                sum.Completed += t.Completed;
                sum.OnTime += t.OnTime;
                sum.LateMinutes.AddRange(t.LateMinutes);
                sum.Cancelled += t.Cancelled;
                sum.RatingSum += t.RatingSum;
                sum.Ratings += t.Ratings;
            }

            foreach (var (key, c) in day.Handoffs)
            {
                var cell = handoffs.GetValueOrDefault(key) ?? (handoffs[key] = new HandoffCell());
                cell.Offered += c.Offered;
                cell.Accepted += c.Accepted;
                cell.Declined += c.Declined;
                cell.AcceptSeconds.AddRange(c.AcceptSeconds);
            }
        }

        IReadOnlyList<TeamRow> rows = [.. teams.Select(t => new TeamRow(t.Key, t.Value.Completed, t.Value.OnTime,
            Percentile(t.Value.LateMinutes, 0.5), Percentile(t.Value.LateMinutes, 0.9), t.Value.Cancelled, t.Value.RatingSum, t.Value.Ratings))];
        return new GapMap(from, to, rows, handoffs, trend);
    }

    public static int? Percentile(List<int> values, double p)
    {
        if (values.Count == 0)
        {
            return null;
        }

        var sorted = values.Order().ToList();
        return sorted[(int)Math.Clamp(Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
