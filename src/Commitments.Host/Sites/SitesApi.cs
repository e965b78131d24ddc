using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Host.Auth;
using Commitments.Host.Commitments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Sites;

public sealed record SiteResponse(string Id, string Name, string TimeZone, string PhoneRegion, string Language, IReadOnlyList<TeamResponse> Teams,
    string QuietFrom, string QuietUntil)
{
    public static SiteResponse From(SiteInfo info) => new(info.Id, info.Name, info.TimeZone, info.PhoneRegion, info.Language,
        [.. info.Teams.Select(t => new TeamResponse(t.Id, t.Name))],
        (info.QuietFrom ?? SiteInfo.DefaultQuietFrom).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
        (info.QuietUntil ?? SiteInfo.DefaultQuietUntil).ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture));
}

public sealed record SiteSettingsRequest(
    string? Name, string? TimeZone, string? PhoneRegion, string? Language, string? QuietFrom, string? QuietUntil);

public sealed record RequestTypeResponse(string Id, string Label, int LeadMinutes, string? Team, long Uses);

public sealed record RequestTypeRequest(string? Id, string? Label, int? LeadMinutes, string? Team);

public sealed record RequestTypesRequest(IReadOnlyList<RequestTypeRequest>? RequestTypes);

public sealed record RequestTypesResponse(IReadOnlyList<RequestTypeResponse> RequestTypes);

public sealed record TeamResponse(string Id, string Name);

public sealed record TeamRequest(string? Name);

/// <summary>
/// A staff member as the API shows them; mobiles are masked except for managers. An unverified mobile
/// (<c>mobileVerified</c> false) gets no staff texts and its replies do not act.
/// </summary>
public sealed record StaffResponse(string Id, string Name, string Role, string Team, string Mobile, bool Active, bool Lead,
    bool MobileVerified, DateTimeOffset? VerificationSentAt)
{
    public static StaffResponse From(StaffInfo s, bool showMobile) =>
        new(s.Id, s.Name, s.Role, s.Team, showMobile ? s.Mobile : Phone.Mask(s.Mobile), s.Active, s.Lead, !s.MobileUnverified,
            s.VerificationSentAt);
}

public sealed record StaffListResponse(IReadOnlyList<StaffResponse> Items);

public sealed record CreateStaffRequest(string? Id, string? Name, string? Mobile, string? Role, string? Team, string? Pin, bool? Lead);

public sealed record UpdateStaffRequest(string? Name, string? Mobile, string? Role, string? Team, string? Pin, bool? Active, bool? Lead);

public sealed record DeactivationResponse(
    StaffResponse Staff, IReadOnlyList<CommitmentSummary> OpenPromises, IReadOnlyList<CommitmentSummary> OfferedHandoffs);

/// <summary>The site, its teams and its staff directory; changes are for the site's managers.</summary>
internal static class SitesApi
{
    public static RouteGroupBuilder MapSitesApi(this RouteGroupBuilder site)
    {
        site.MapGet("/", (Delegate)GetSite).WithTags("Sites").WithName("GetSite");
        site.MapPut("/settings", PutSettings).WithTags("Sites").WithName("PutSiteSettings");
        site.MapPut("/teams/{team}", PutTeam).WithTags("Sites").WithName("PutTeam");
        site.MapGet("/request-types", (Delegate)GetRequestTypes).WithTags("Sites").WithName("GetRequestTypes");
        site.MapPut("/request-types", PutRequestTypes).WithTags("Sites").WithName("PutRequestTypes");

        var staff = site.MapGroup("/staff").WithTags("Staff");
        staff.MapGet("/", ListStaff).WithName("ListStaff");
        staff.MapGet("/{staff}", GetStaff).WithName("GetStaff");
        staff.MapPost("/", CreateStaff).WithName("CreateStaff");
        staff.MapPatch("/{staff}", UpdateStaff).WithName("UpdateStaff");
        staff.MapPost("/{staff}/deactivate", Deactivate).WithName("DeactivateStaff");
        staff.MapPost("/{staff}/verification", ResendVerification).WithName("ResendStaffVerification");
        return staff;
    }

    private static async Task<Ok<SiteResponse>> GetSite(HttpContext http)
    {
        var info = await SiteRequest.From(http).InfoAsync();
        return TypedResults.Ok(SiteResponse.From(info));
    }

    private static async Task<Ok<SiteResponse>> PutSettings(SiteSettingsRequest body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var info = await request.Site.UpdateSettings(request.Actor,
            new SiteSettingsInput(body.Name, body.TimeZone, body.PhoneRegion, body.Language, body.QuietFrom, body.QuietUntil));
        return TypedResults.Ok(SiteResponse.From(info));
    }

    private static async Task<Ok<RequestTypesResponse>> GetRequestTypes(HttpContext http) =>
        TypedResults.Ok(Types(await SiteRequest.From(http).Site.ListRequestTypes()));

    private static async Task<Ok<RequestTypesResponse>> PutRequestTypes(RequestTypesRequest body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        if (body.RequestTypes is null)
        {
            throw RuleViolationException.Invalid("requestTypes", "is required: a list of { id, label, leadMinutes, team }.");
        }

        var saved = await request.Site.SetRequestTypes(request.Actor,
            [.. body.RequestTypes.Select(t => new RequestTypeInput(t?.Id, t?.Label, t?.LeadMinutes, t?.Team))]);
        return TypedResults.Ok(Types(saved));
    }

    private static RequestTypesResponse Types(IReadOnlyList<RequestTypeInfo> types) =>
        new([.. types.Select(t => new RequestTypeResponse(t.Id, t.Label, t.LeadMinutes, t.Team, t.Uses))]);

    private static async Task<Ok<TeamResponse>> PutTeam(string team, TeamRequest body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var saved = await request.Site.UpsertTeam(request.Actor, new TeamInput(team, body.Name));
        return TypedResults.Ok(new TeamResponse(saved.Id, saved.Name));
    }

    private static async Task<Ok<StaffListResponse>> ListStaff(HttpContext http, string? includeInactive)
    {
        var request = SiteRequest.From(http);
        var manager = await IsManager(request);
        var all = includeInactive switch
        {
            null or "" or "false" => false,
            "true" => true,
            _ => throw RuleViolationException.Invalid("includeInactive", "must be true or false."),
        };
        if (all && !manager)
        {
            throw RuleViolationException.Forbidden("Only a manager can list staff who have left.");
        }

        var staff = await request.Site.ListStaff(all);
        return TypedResults.Ok(new StaffListResponse([.. staff.Select(s => StaffResponse.From(s, manager))]));
    }

    private static async Task<Ok<StaffResponse>> GetStaff(string staff, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var found = await request.Site.GetStaff(staff)
            ?? throw RuleViolationException.NotFound("staff", $"There is no staff member '{staff}' at this site.");
        return TypedResults.Ok(StaffResponse.From(found, await IsManager(request) || staff == request.Actor.Id));
    }

    private static async Task<Created<StaffResponse>> CreateStaff(CreateStaffRequest body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var created = await request.Site.AddStaff(request.Actor,
            new StaffInput(body.Id, body.Name, body.Mobile, body.Role, body.Team, body.Pin, Lead: body.Lead));
        return TypedResults.Created($"/api/sites/{request.SiteId}/staff/{created.Id}", StaffResponse.From(created, showMobile: true));
    }

    private static async Task<Ok<StaffResponse>> UpdateStaff(string staff, UpdateStaffRequest body, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var updated = await request.Site.UpdateStaff(request.Actor, staff,
            new StaffInput(null, body.Name, body.Mobile, body.Role, body.Team, body.Pin, body.Active, body.Lead));
        return TypedResults.Ok(StaffResponse.From(updated, showMobile: true));
    }

    /// <summary>Texts the person's unverified mobile a new code (the earlier one stops working).</summary>
    private static async Task<Ok<StaffResponse>> ResendVerification(string staff, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var updated = await request.Site.ResendVerification(request.Actor, staff);
        return TypedResults.Ok(StaffResponse.From(updated, showMobile: true));
    }

    private static async Task<Ok<DeactivationResponse>> Deactivate(string staff, HttpContext http)
    {
        var request = SiteRequest.From(http);
        var result = await request.Site.DeactivateStaff(request.Actor, staff);
        var zone = (await request.InfoAsync()).Zone;
        return TypedResults.Ok(new DeactivationResponse(
            StaffResponse.From(result.Staff, showMobile: true),
            [.. result.OpenPromises.Select(e => CommitmentSummary.From(e, zone))],
            [.. result.OfferedHandoffs.Select(e => CommitmentSummary.From(e, zone))]));
    }

    private static async Task<bool> IsManager(SiteRequest request) =>
        await request.Site.GetStaff(request.Actor.Id) is { IsManager: true, Active: true };
}
