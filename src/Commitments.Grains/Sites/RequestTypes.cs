using Commitments.Grains.Common;

namespace Commitments.Grains.Sites;

/// <summary>A one-tap kind of request at the front desk: its words, how long it usually takes, who does it.</summary>
[GenerateSerializer, Alias("commitments.request-type-record")]
public sealed class RequestTypeRecord
{
    [Id(0)] public string Label { get; set; } = "";
    /// <summary>Minutes from now the deadline defaults to (0: no default; the person picks one).</summary>
    [Id(1)] public int LeadMinutes { get; set; }
    /// <summary>The team whose people are offered first for the handoff (null: none first).</summary>
    [Id(2)] public string? Team { get; set; }
    /// <summary>How many promises were made from it: the list puts the most used first.</summary>
    [Id(3)] public long Uses { get; set; }
    [Id(4)] public int Order { get; set; }
}

[GenerateSerializer, Immutable, Alias("commitments.request-type-info")]
public sealed record RequestTypeInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Label,
    [property: Id(2)] int LeadMinutes,
    [property: Id(3)] string? Team,
    [property: Id(4)] long Uses);

[GenerateSerializer, Immutable, Alias("commitments.request-type-input")]
public sealed record RequestTypeInput(
    [property: Id(0)] string? Id,
    [property: Id(1)] string? Label,
    [property: Id(2)] int? LeadMinutes,
    [property: Id(3)] string? Team);

public static class RequestTypes
{
    public const int MaxCount = 30;
    public const int MaxLeadMinutes = 7 * 24 * 60;

    /// <summary>What a new site starts with; a team that the site does not have is left out of its entry.</summary>
    public static readonly RequestTypeInput[] Defaults =
    [
        new("extra-towels", "Extra towels", 20, "housekeeping"),
        new("late-checkout", "Late checkout", 30, "front-desk"),
        new("taxi", "Taxi", 15, "front-desk"),
        new("wake-up-call", "Wake-up call", 0, "front-desk"),
        new("repair-in-room", "Repair in room", 60, "engineering"),
    ];
}

public sealed partial class SiteGrain
{
    public Task<IReadOnlyList<RequestTypeInfo>> ListRequestTypes()
    {
        RequireSite();
        IReadOnlyList<RequestTypeInfo> list =
        [
            .. RequestTypeRecords()
                .OrderByDescending(t => t.Value.Uses)
                .ThenBy(t => t.Value.Order)
                .Select(t => new RequestTypeInfo(t.Key, t.Value.Label, t.Value.LeadMinutes, t.Value.Team, t.Value.Uses)),
        ];
        return Task.FromResult(list);
    }

    public async Task RequestTypeUsed(string requestTypeId)
    {
        RequireSite();
        if (State.RequestTypes is null)
        {
            // The defaults become the site's own list the first time one is counted.
            State.RequestTypes = RequestTypeRecords();
        }

        if (State.RequestTypes.TryGetValue(requestTypeId, out var type))
        {
            type.Uses++;
            await site.WriteStateAsync();
        }
    }

    public async Task<IReadOnlyList<RequestTypeInfo>> SetRequestTypes(Actor actor, IReadOnlyList<RequestTypeInput> types)
    {
        RequireSite();
        RequireManager(actor);
        var v = new Validation();
        if (types.Count is 0 or > RequestTypes.MaxCount)
        {
            v.Add("requestTypes", $"must list 1–{RequestTypes.MaxCount} request types.");
        }

        var previous = RequestTypeRecords();
        var next = new Dictionary<string, RequestTypeRecord>(StringComparer.Ordinal);
        for (var i = 0; i < types.Count; i++)
        {
            var field = $"requestTypes[{i}]";
            var input = types[i];
            var id = input.Id?.Trim();
            if (!SiteRules.IsSlug(id))
            {
                v.Add($"{field}.id", "must be a slug: lower-case letters, digits and dashes, 1–40 characters.");
            }
            else if (next.ContainsKey(id!))
            {
                v.Add($"{field}.id", $"'{id}' is listed twice.");
            }

            var label = v.Text($"{field}.label", input.Label, 1, 60);
            if (input.LeadMinutes is not { } lead || lead < 0 || lead > RequestTypes.MaxLeadMinutes)
            {
                v.Add($"{field}.leadMinutes", $"must be a whole number of minutes from 0 to {RequestTypes.MaxLeadMinutes} (0: no default deadline).");
            }

            var team = string.IsNullOrWhiteSpace(input.Team) ? null : input.Team.Trim();
            if (team is not null && !State.Teams.ContainsKey(team))
            {
                v.Add($"{field}.team", $"'{team}' is not a team of this site.");
            }

            if (SiteRules.IsSlug(id) && label is not null && !next.ContainsKey(id!))
            {
                next[id!] = new RequestTypeRecord
                {
                    Label = label,
                    LeadMinutes = input.LeadMinutes ?? 0,
                    Team = team,
                    Uses = previous.GetValueOrDefault(id!)?.Uses ?? 0,
                    Order = i,
                };
            }
        }

        v.ThrowIfInvalid();
        State.RequestTypes = next;
        await site.WriteStateAsync();
        return await ListRequestTypes();
    }

    /// <summary>The site's own list, or the defaults (fitted to its teams) until it has one.</summary>
    private Dictionary<string, RequestTypeRecord> RequestTypeRecords() =>
        State.RequestTypes ?? RequestTypes.Defaults
            .Select((t, i) => (t, i))
            .ToDictionary(x => x.t.Id!, x => new RequestTypeRecord
            {
                Label = x.t.Label!,
                LeadMinutes = x.t.LeadMinutes ?? 0,
                Team = x.t.Team is { } team && State.Teams.ContainsKey(team) ? team : null,
                Order = x.i,
            }, StringComparer.Ordinal);
}
