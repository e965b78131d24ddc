using Commitments.Grains.Commitments;
using Commitments.Grains.Sites;
using Orleans.Concurrency;

namespace Commitments.Grains.Insights;

/// <summary>One history event that counts for insights, as the promise tells it after writing it.</summary>
[GenerateSerializer, Immutable, Alias("commitments.insight-event")]
public sealed record InsightEvent(
    [property: Id(0)] Guid CommitmentId,
    [property: Id(1)] int Seq,
    [property: Id(2)] string Type,
    // When it happened; a rating carries the moment of its promise's first rating (the day it counts on).
    [property: Id(3)] DateTimeOffset At,
    // The owner when it happened (done, cancelled, rated) or the proposer and recipient (handoffs).
    [property: Id(4)] string Owner,
    [property: Id(5)] DateTimeOffset DueAt,
    [property: Id(6)] string? From = null,
    [property: Id(7)] string? To = null,
    [property: Id(8)] DateTimeOffset? OfferedAt = null,
    [property: Id(9)] int? Rating = null,
    // Not counted: a completion after a guest reopen, or a later reopen (the first completion already counts as not kept).
    [property: Id(10)] bool Repeat = false,
    // A done undone by whoever marked it: the completion is not counted.
    [property: Id(11)] bool Undo = false);

[GenerateSerializer, Alias("commitments.insight-team-day")]
public sealed class TeamDay
{
    [Id(0)] public int Completed { get; set; }
    [Id(1)] public int OnTime { get; set; }
    /// <summary>Minutes late of each promise done this day (0 when on time): medians and p90s come from these.</summary>
    [Id(2)] public List<int> LateMinutes { get; set; } = [];
    [Id(3)] public int RatingSum { get; set; }
    [Id(4)] public int Ratings { get; set; }
    [Id(5)] public int Cancelled { get; set; }
}

/// <summary>The latest rating of one promise as a day counts it: its event, the team it counted for, the rating.</summary>
[GenerateSerializer, Immutable, Alias("commitments.insight-counted-rating")]
public sealed record CountedRating([property: Id(0)] int Seq, [property: Id(1)] string Team, [property: Id(2)] int Rating);

[GenerateSerializer, Alias("commitments.insight-handoff-cell")]
public sealed class HandoffCell
{
    [Id(0)] public int Offered { get; set; }
    [Id(1)] public int Accepted { get; set; }
    [Id(2)] public int Declined { get; set; }
    [Id(3)] public List<int> AcceptSeconds { get; set; } = [];
}

[GenerateSerializer, Alias("commitments.insight-day-state")]
public sealed class InsightDayState
{
    [Id(0)] public Dictionary<string, TeamDay> Teams { get; set; } = [];
    /// <summary>Keyed "from-team>to-team".</summary>
    [Id(1)] public Dictionary<string, HandoffCell> Handoffs { get; set; } = [];
    /// <summary>"id:seq" of every event counted, as days were kept before <see cref="Recent"/> (read, never added to).</summary>
    [Id(2)] public HashSet<string> Seen { get; set; } = [];
    /// <summary>Per promise, so a guest who rates again replaces their rating rather than adding one.</summary>
    [Id(3)] public Dictionary<Guid, CountedRating> Ratings { get; set; } = [];

    /// <summary>
    /// "id:seq" of the latest events counted, oldest first, so an event told twice counts once. A promise tells its events
    /// right after writing them, so a repeat comes within moments: the newest <see cref="RecentKept"/> are enough, and a
    /// busy site's day stays one small record.
    /// </summary>
    [Id(4)] public List<string> Recent { get; set; } = [];

    public const int RecentKept = 4096;

    [NonSerialized]
    private HashSet<string>? _recent;

    private bool Counted(InsightEvent e)
    {
        var key = $"{e.CommitmentId:N}:{e.Seq}";
        _recent ??= [.. Recent];
        if (Seen.Contains(key) || !_recent.Add(key))
        {
            return true;
        }

        Recent.Add(key);
        if (Recent.Count > RecentKept + (RecentKept / 4))
        {
            // Forgotten a quarter at a time, so the list is not shifted at every event.
            var forgotten = Recent.Count - RecentKept;
            _recent.ExceptWith(Recent.Take(forgotten));
            Recent.RemoveRange(0, forgotten);
        }

        return false;
    }

    /// <summary>Counts <paramref name="events"/> into <paramref name="state"/>, each once; <paramref name="teamOf"/> names a person's team.</summary>
    public static void Apply(InsightDayState state, IEnumerable<InsightEvent> events, Func<string?, string> teamOf)
    {
        foreach (var e in events)
        {
            if (state.Counted(e))
            {
                continue;
            }

            switch (e.Type)
            {
                case EventTypes.Completed or EventTypes.Reopened when e.Repeat:
                    break;
                case EventTypes.Reopened when e.Undo:
                    var undone = state.Team(teamOf(e.Owner));
                    var minutes = (int)Math.Max(0, Math.Ceiling((e.At - e.DueAt).TotalMinutes));
                    if (undone.Completed > 0 && undone.LateMinutes.Remove(minutes))
                    {
                        undone.Completed--;
                        undone.OnTime -= e.At <= e.DueAt && undone.OnTime > 0 ? 1 : 0;
                    }

                    break;
                case EventTypes.Reopened:
                    // The guest said it was not done: the first completion was not kept.
                    var unkept = state.Team(teamOf(e.Owner));
                    if (e.At <= e.DueAt && unkept.OnTime > 0)
                    {
                        unkept.OnTime--;
                    }

                    break;
                case EventTypes.Completed:
                    var team = state.Team(teamOf(e.Owner));
                    team.Completed++;
                    team.OnTime += e.At <= e.DueAt ? 1 : 0;
                    team.LateMinutes.Add((int)Math.Max(0, Math.Ceiling((e.At - e.DueAt).TotalMinutes)));
                    break;
                case EventTypes.Cancelled:
                    state.Team(teamOf(e.Owner)).Cancelled++;
                    break;
                case EventTypes.Rated when e.Rating is { } rating:
                    if (state.Ratings.GetValueOrDefault(e.CommitmentId) is { } counted)
                    {
                        if (counted.Seq > e.Seq)
                        {
                            // A later rating of this promise is already counted.
                            break;
                        }

                        var earlier = state.Team(counted.Team);
                        earlier.RatingSum -= counted.Rating;
                        earlier.Ratings--;
                    }

                    var ratedTeam = teamOf(e.Owner);
                    var rated = state.Team(ratedTeam);
                    rated.RatingSum += rating;
                    rated.Ratings++;
                    state.Ratings[e.CommitmentId] = new CountedRating(e.Seq, ratedTeam, rating);
                    break;
                case EventTypes.HandoffProposed:
                    state.Cell(teamOf(e.From), teamOf(e.To)).Offered++;
                    break;
                case EventTypes.HandoffAccepted:
                    var accepted = state.Cell(teamOf(e.From), teamOf(e.To));
                    accepted.Accepted++;
                    if (e.OfferedAt is { } offered)
                    {
                        accepted.AcceptSeconds.Add((int)Math.Max(0, (e.At - offered).TotalSeconds));
                    }

                    break;
                case EventTypes.HandoffDeclined:
                    state.Cell(teamOf(e.From), teamOf(e.To)).Declined++;
                    break;
            }
        }
    }

    private TeamDay Team(string team)
    {
        if (!Teams.TryGetValue(team, out var found))
        {
            Teams[team] = found = new TeamDay();
        }

        return found;
    }

    private HandoffCell Cell(string from, string to)
    {
        var key = $"{from}>{to}";
        if (!Handoffs.TryGetValue(key, out var found))
        {
            Handoffs[key] = found = new HandoffCell();
        }

        return found;
    }
}

/// <summary>
/// One site's day of per-team and per-team-pair counts, kept current by the promises so a year's gap map reads 365 small
/// records, not every promise. Derived from the ledger; an event told twice counts once.
/// </summary>
public interface IInsightDayGrain : IGrainWithStringKey
{
    static string Key(string site, DateOnly day) => $"{site}/{day:yyyy-MM-dd}";

    static IInsightDayGrain For(IGrainFactory grains, string site, DateOnly day) => grains.GetGrain<IInsightDayGrain>(Key(site, day));

    [OneWay]
    Task Record(IReadOnlyList<InsightEvent> events);

    [AlwaysInterleave]
    Task<InsightDayState> Get();

    /// <summary>The day as rebuilt from the ledger; written at once.</summary>
    Task Replace(InsightDayState state);
}

public sealed class InsightDayGrain(
    [PersistentState(InsightDayGrain.StateName)] IPersistentState<InsightDayState> day) : Grain, IInsightDayGrain
{
    public const string StateName = "insights";
    public const string NoTeam = "(no team)";

    /// <summary>A person's team as the roll-up counts it (someone unknown or without a team: <see cref="NoTeam"/>).</summary>
    public static Func<string?, string> TeamsOf(IEnumerable<StaffInfo> staff)
    {
        var teams = staff.ToDictionary(p => p.Id, p => p.Team);
        return id => id is not null && teams.TryGetValue(id, out var team) && team.Length > 0 ? team : NoTeam;
    }

    private IGrainTimer? _flush;
    private bool _dirty;

    private string SiteId => this.GetPrimaryKeyString().Split('/')[0];

    public async Task Record(IReadOnlyList<InsightEvent> events)
    {
        var staff = await GrainFactory.GetGrain<ISiteGrain>(SiteId).ListStaff(includeInactive: true);
        InsightDayState.Apply(day.State, events, TeamsOf(staff));

        // Written behind, once a second at most: a busy desk's promises share one write.
        _dirty = true;
        _flush ??= this.RegisterGrainTimer(
            FlushAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    public Task<InsightDayState> Get() => Task.FromResult(day.State);

    public async Task Replace(InsightDayState state)
    {
        day.State = state;
        _dirty = false;
        await day.WriteStateAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken) => FlushAsync(cancellationToken);

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var timer = _flush;
        _flush = null;
        if (_dirty)
        {
            _dirty = false;
            await day.WriteStateAsync(CancellationToken.None);
        }

        timer?.Dispose();
    }

}