using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Host.Auth;
using Commitments.Host.Commitments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Escalation;

/// <summary>One row of the manager's queue: who is on it, how late, how far it escalated, and how the last text went.</summary>
public sealed record EscalationItem(
    Guid Id,
    string? Code,
    string What,
    string CustomerName,
    string? Room,
    string Owner,
    string OwnerName,
    string? Team,
    string DueAt,
    int MinutesLate,
    int Level,
    string? AcknowledgedBy,
    string? AcknowledgedUntil,
    string? HandoffTo,
    bool HandoffStalled,
    int HeldTexts,
    EscalationText? LastText);

/// <summary>The promise's latest text: its kind, who it was for (a staff id or "customer"), and its delivery status.</summary>
public sealed record EscalationText(string Kind, string To, string Status, string? Reason, string At);

public sealed record EscalationQueue(string Site, string AsOf, IReadOnlyList<EscalationItem> Items);

/// <summary>The manager's escalation queue: managers and team leads of the site.</summary>
internal static class EscalationsApi
{
    public static RouteHandlerBuilder MapEscalationsApi(this RouteGroupBuilder site) =>
        site.MapGet("/escalations", Queue).WithTags("Escalation").WithName("EscalationQueue");

    private static async Task<Ok<EscalationQueue>> Queue(HttpContext http, TimeProvider time, IGrainFactory grains)
    {
        var request = SiteRequest.From(http);
        var me = await request.Site.GetStaff(http.User.StaffId()!);
        if (me is not { Active: true } || !(me.IsManager || me.Lead))
        {
            throw RuleViolationException.Forbidden("The escalation queue is for the site's managers and team leads.");
        }

        var info = await request.InfoAsync();
        var staff = (await request.Site.ListStaff(includeInactive: true)).ToDictionary(s => s.Id);
        var now = time.GetUtcNow();
        var entries = await grains.GetGrain<ISiteIndexGrain>(request.SiteId).Escalations(now);
        var items = entries.Select(e =>
        {
            var owner = staff.GetValueOrDefault(e.Owner);
            return new EscalationItem(
                e.Id, e.ReplyCode, e.What, e.CustomerName, e.Room, e.Owner, owner?.Name ?? e.Owner, owner?.Team,
                SiteTime.Format(e.DueAt, info.Zone),
                (int)Math.Max(0, Math.Floor((now - e.DueAt).TotalMinutes)),
                e.Level, e.AcknowledgedBy,
                e.AcknowledgedUntil is { } until ? SiteTime.Format(until, info.Zone) : null,
                e.HandoffTo, e.HandoffStalled, e.HeldTexts,
                e.LastText is { } t
                    ? new EscalationText(t.Kind, t.StaffId ?? t.RecipientRole, t.Status, t.Reason, SiteTime.Format(t.At, info.Zone))
                    : null);
        }).ToList();
        return TypedResults.Ok(new EscalationQueue(request.SiteId, SiteTime.Format(now, info.Zone), items));
    }
}
