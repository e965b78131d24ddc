using Commitments.Grains.Common;
using Commitments.Grains.Escalation;
using Commitments.Host.Auth;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Escalation;

/// <summary>A team's escalation policy as the API shows it; durations are "hh:mm:ss" (or "d.hh:mm:ss").</summary>
public sealed record PolicyDto(
    TimeSpan? RemindBefore,
    IReadOnlyList<LevelDto>? Levels,
    TimeSpan? RepeatEvery,
    int? MaxRepeats,
    TimeSpan? AckTimeout,
    TimeSpan? CustomerApologyAfter,
    TimeSpan? HandoffAcceptWithin)
{
    public static PolicyDto From(EscalationPolicy p) => new(
        p.RemindBefore, [.. p.Levels.Select(l => new LevelDto(l.After, l.Notify))], p.RepeatEvery, p.MaxRepeats,
        p.AckTimeout, p.CustomerApologyAfter, p.HandoffAcceptWithin);

    /// <summary>Missing fields take the defaults; everything is then checked by the site grain.</summary>
    public EscalationPolicy ToPolicy()
    {
        var d = EscalationPolicy.Default;
        return new EscalationPolicy(
            RemindBefore ?? d.RemindBefore,
            Levels is null ? d.Levels : [.. Levels.Select(l => new EscalationLevel(l.After ?? TimeSpan.Zero, l.Notify ?? []))],
            RepeatEvery ?? d.RepeatEvery,
            MaxRepeats ?? d.MaxRepeats,
            AckTimeout ?? d.AckTimeout,
            CustomerApologyAfter ?? d.CustomerApologyAfter,
            HandoffAcceptWithin ?? d.HandoffAcceptWithin);
    }
}

public sealed record LevelDto(TimeSpan? After, IReadOnlyList<string>? Notify);

/// <summary>Escalation policies per team: anyone on the site reads them, managers change them.</summary>
internal static class PolicyApi
{
    public static RouteGroupBuilder MapPolicyApi(this RouteGroupBuilder site)
    {
        var group = site.MapGroup("/teams/{team}/policy").WithTags("Escalation");
        group.MapGet("/", Get).WithName("GetPolicy");
        group.MapPut("/", Put).WithName("PutPolicy");
        return group;
    }

    private static async Task<Ok<PolicyDto>> Get(string team, HttpContext http) =>
        TypedResults.Ok(PolicyDto.From(await SiteRequest.From(http).Site.GetPolicy(team)));

    private static async Task<Ok<PolicyDto>> Put(string team, PolicyDto body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        if (body.Levels?.Any(l => l is null) == true)
        {
            throw RuleViolationException.Invalid("levels", "must not contain empty entries.");
        }

        var saved = await request.Site.SetPolicy(request.Actor, team, body.ToPolicy());
        return TypedResults.Ok(PolicyDto.From(saved));
    }
}
