using System.Security.Claims;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Host.Auth;
using Microsoft.AspNetCore.Components.Authorization;

namespace Commitments.Host.Web;

/// <summary>The circuit's user and site from the auth cookie; pages reach grains only through this site, keeping sites apart.</summary>
public sealed class WebSession(AuthenticationStateProvider auth, IGrainFactory grains)
{
    private SignedIn? _me;
    private SiteInfo? _site;

    public IGrainFactory Grains => grains;

    public async Task<SignedIn> MeAsync()
    {
        if (_me is not null)
        {
            return _me;
        }

        var user = (await auth.GetAuthenticationStateAsync()).User;
        var site = user.SiteId() ?? throw new InvalidOperationException("Pages that need a person are [Authorize]d.");
        _me = new SignedIn(site, user.StaffId()!, user.Identity?.Name ?? "", user.FindFirstValue(CommitmentsClaims.Role) ?? Roles.Staff);
        return _me;
    }

    public async Task<ISiteGrain> SiteAsync() => grains.GetGrain<ISiteGrain>((await MeAsync()).Site);

    public async Task<SiteInfo> SiteInfoAsync() =>
        _site ??= await (await SiteAsync()).GetInfo() ?? throw new InvalidOperationException("The signed-in site exists.");
}

public sealed record SignedIn(string Site, string StaffId, string Name, string Role)
{
    public Actor Actor => Actor.Staff(StaffId);

    public bool IsManager => Role == Roles.Manager;

    public string FirstName => Name.Split(' ', 2)[0];
}
