using System.Security.Claims;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.Host.Auth;

public sealed record PinSignInRequest(string? Site, string? Staff, string? Pin);

public sealed record SignedInResponse(string Staff, string Name, string Role, string Site);

/// <summary>Sign in with a PIN (a shared front-desk tablet), sign out, and who am I.</summary>
internal static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/auth").WithTags("Auth");
        group.MapPost("/pin", SignIn).AllowAnonymous().WithName("SignInWithPin");
        group.MapPost("/signout", (Delegate)SignOut).WithName("SignOut");
        group.MapGet("/me", Me).WithName("Me");
        return group;
    }

    private static async Task<Ok<SignedInResponse>> SignIn(
        PinSignInRequest body, HttpContext http, IGrainFactory grains, DeviceSite device, SignInThrottle throttle)
    {
        var v = new Validation();
        var site = v.Text("site", body.Site, 1, 40);
        var staffId = v.Text("staff", body.Staff, 1, 40);
        var pin = v.Text("pin", body.Pin, 1, 8);
        v.ThrowIfInvalid();

        // The site's enrolled tablets are not slowed by strangers' failures; everyone else is, per address and per site.
        var enrolled = device.ReadDevice(http) is { Enrolled: true } known && known.Site == site;
        if (!enrolled && await throttle.WaitForAsync(http, site!) is { } wait)
        {
            throw TooMany("Too many failed sign-ins from here", wait);
        }

        var result = await grains.GetGrain<ISiteGrain>(site!).SignIn(staffId!, pin!, enrolled);
        if (result.Outcome != SignInOutcome.SignedIn && !enrolled)
        {
            await throttle.FailedAsync(http, site!);
        }

        switch (result.Outcome)
        {
            case SignInOutcome.SignedIn:
                break;
            case SignInOutcome.LockedOut:
                // The same answer whether or not the PIN is somebody's.
                throw TooMany("Too many wrong PINs for this name", result.RetryAfter!.Value);
            default:
                throw new UnauthorizedException("pin", "That site, name and PIN do not match.");
        }

        var staff = result.Staff!;
        var identity = new ClaimsIdentity(
        [
            new Claim(CommitmentsClaims.Staff, staff.Id),
            new Claim(CommitmentsClaims.Site, site!),
            new Claim(CommitmentsClaims.Name, staff.Name),
            new Claim(CommitmentsClaims.Role, staff.Role),
            new Claim(CommitmentsClaims.Stamp, staff.SecurityStamp),
            new Claim(CommitmentsClaims.Session, result.Session!),
        ], CookieAuthenticationDefaults.AuthenticationScheme, CommitmentsClaims.Name, CommitmentsClaims.Role);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        // The device now belongs to this site: its sign-in page shows the site's people to tap.
        device.Remember(http, site!, byManager: staff.IsManager);
        return TypedResults.Ok(new SignedInResponse(staff.Id, staff.Name, staff.Role, site!));
    }

    private static RuleViolationException TooMany(string what, TimeSpan wait)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        var when = seconds < 60 ? $"{seconds} second(s)" : $"{(seconds + 59) / 60} minute(s)";
        return new RuleViolationException(RuleKind.TooManyAttempts, "pin", $"{what}: try again in {when}.") { RetryAfterSeconds = seconds };
    }

    private static async Task<NoContent> SignOut(HttpContext http, IGrainFactory grains)
    {
        // This sign-in ends on the server too: a copy of the cookie no longer works, and its open pages close.
        if (http.User.SiteId() is { } site && http.User.StaffId() is { } staff && http.User.SessionId() is { } session)
        {
            await grains.GetGrain<ISiteGrain>(site).SignOut(staff, session);
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    private static Ok<SignedInResponse> Me(HttpContext http) => TypedResults.Ok(new SignedInResponse(
        http.User.StaffId()!, http.User.Identity!.Name!, http.User.FindFirstValue(CommitmentsClaims.Role)!, http.User.SiteId()!));
}

/// <summary>Credentials that do not match: 401 with a ProblemDetails naming the field.</summary>
public sealed class UnauthorizedException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}
