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

    private static async Task<Ok<SignedInResponse>> SignIn(PinSignInRequest body, HttpContext http, IGrainFactory grains, DeviceSite device)
    {
        var v = new Validation();
        var site = v.Text("site", body.Site, 1, 40);
        var staffId = v.Text("staff", body.Staff, 1, 40);
        var pin = v.Text("pin", body.Pin, 1, 8);
        v.ThrowIfInvalid();

        var result = await grains.GetGrain<ISiteGrain>(site!).SignIn(staffId!, pin!);
        switch (result.Outcome)
        {
            case SignInOutcome.SignedIn:
                break;
            case SignInOutcome.LockedOut:
                var seconds = (int)Math.Ceiling(result.RetryAfter!.Value.TotalSeconds);
                throw new RuleViolationException(RuleKind.TooManyAttempts, "pin",
                    $"Too many wrong PINs: {staffId} is locked out for {Math.Max(1, (seconds + 59) / 60)} minute(s).")
                {
                    RetryAfterSeconds = seconds,
                };
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
        ], CookieAuthenticationDefaults.AuthenticationScheme, CommitmentsClaims.Name, CommitmentsClaims.Role);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, new ClaimsPrincipal(identity));
        // The device now belongs to this site: its sign-in page shows the site's people to tap.
        device.Remember(http, site!);
        return TypedResults.Ok(new SignedInResponse(staff.Id, staff.Name, staff.Role, site!));
    }

    private static async Task<NoContent> SignOut(HttpContext http)
    {
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
