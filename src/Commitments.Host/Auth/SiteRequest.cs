using System.Security.Claims;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Host.Auth;

/// <summary>Claims the auth cookie carries; the site claim is what keeps one site out of another's data.</summary>
public static class CommitmentsClaims
{
    public const string Staff = "staff";
    public const string Site = "site";
    public const string Role = ClaimTypes.Role;
    public const string Name = ClaimTypes.Name;
    /// <summary>The person's security stamp when they signed in: a sign-in whose stamp is no longer theirs has ended.</summary>
    public const string Stamp = "stamp";

    /// <summary>This sign-in's id, which signing out ends.</summary>
    public const string Session = "session";

    public static string? SessionId(this ClaimsPrincipal user) => user.FindFirstValue(Session);

    /// <summary>Whether <paramref name="user"/> is still active, with the same stamp, and not signed out of this session.</summary>
    public static async Task<bool> StillSignedInAsync(this ClaimsPrincipal user, IGrainFactory grains) =>
        user.SiteId() is { } site && user.StaffId() is { } staff && user.SessionId() is { } session
        && user.FindFirstValue(Stamp) is { } stamp
        && await grains.GetGrain<Grains.Sites.ISiteGrain>(site).IsSignedIn(staff, session, stamp);

    public static string? StaffId(this ClaimsPrincipal user) => user.FindFirstValue(Staff);

    public static string? SiteId(this ClaimsPrincipal user) => user.FindFirstValue(Site);

    public static Actor Actor(this ClaimsPrincipal user) =>
        Grains.Common.Actor.Staff(user.StaffId() ?? throw new InvalidOperationException("An authenticated user has a staff claim."));
}

/// <summary>The site a request is about, once the route's site has been checked against the caller's.</summary>
public sealed class SiteRequest(IGrainFactory grains, HttpContext http)
{
    public string SiteId { get; } = (string)http.GetRouteValue("site")!;

    public Actor Actor => http.User.Actor();

    public ISiteGrain Site => grains.GetGrain<ISiteGrain>(SiteId);

    public async Task<SiteInfo> InfoAsync() =>
        await Site.GetInfo() ?? throw RuleViolationException.NotFound("site", $"There is no site '{SiteId}'.");

    public static SiteRequest From(HttpContext http) =>
        new(http.RequestServices.GetRequiredService<IGrainFactory>(), http);
}

/// <summary>Every /api/sites/{site} route: another site's user gets 404, so no site can learn which others exist.</summary>
public sealed class SameSiteFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var routeSite = http.GetRouteValue("site") as string;
        if (routeSite is null || !string.Equals(routeSite, http.User.SiteId(), StringComparison.Ordinal))
        {
            throw RuleViolationException.NotFound("site", $"There is no site '{routeSite}'.");
        }

        return next(context);
    }
}
