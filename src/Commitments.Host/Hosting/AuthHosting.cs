using Commitments.Host.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Commitments.Host.Hosting;

/// <summary>Cookie sign-in for staff: HttpOnly, SameSite=Strict, 401/403 for the API instead of redirects.</summary>
internal static class AuthHosting
{
    public const string CookieName = "commitments.auth";

    public static IHostApplicationBuilder AddCommitmentsAuth(this IHostApplicationBuilder builder)
    {
        var development = builder.Environment.IsDevelopment();
        builder.Services
            .AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(options =>
            {
                options.Cookie.Name = CookieName;
                options.Cookie.HttpOnly = true;
                options.Cookie.SameSite = SameSiteMode.Strict;
                options.Cookie.SecurePolicy = development ? CookieSecurePolicy.SameAsRequest : CookieSecurePolicy.Always;
                options.ExpireTimeSpan = TimeSpan.FromHours(12);
                options.SlidingExpiration = true;
                options.LoginPath = SignInPath;
                // The API answers 401 (a client signs in itself); a page in a browser goes to sign-in.
                options.Events.OnRedirectToLogin = context => IsApi(context.Request)
                    ? Problem(context.HttpContext, StatusCodes.Status401Unauthorized, "Sign in first",
                        "This needs a signed-in staff member: POST /api/auth/pin.")
                    : Redirect(context);
                options.Events.OnRedirectToAccessDenied = context => Problem(context.HttpContext, StatusCodes.Status403Forbidden,
                    "Not allowed", "You are signed in, but this is not yours to do.");
                options.Events.OnValidatePrincipal = ValidateStillSignedIn;
            });
        builder.Services.AddAuthorization();
        builder.Services.AddOptions<SignInThrottleOptions>().BindConfiguration("SignIn")
            .Validate(o => o.AddressFreeFailures >= 0 && o.SiteFreeFailures >= 0, "SignIn:*FreeFailures must not be negative.")
            .Validate(
                o => o.AddressDecayEvery > TimeSpan.Zero && o.SiteDecayEvery > TimeSpan.Zero
                    && o.FirstDelay > TimeSpan.Zero && o.MaxDelay >= o.FirstDelay,
                "SignIn:*DecayEvery, SignIn:FirstDelay and SignIn:MaxDelay must be positive, the first delay no longer than the longest.")
            .ValidateOnStart();
        builder.Services.AddSingleton<SignInThrottle>();
        return builder;
    }

    /// <summary>Where a browser is sent to sign in (with ReturnUrl).</summary>
    public const string SignInPath = "/signin";

    private static bool IsApi(HttpRequest request) => request.Path.StartsWithSegments("/api");

    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>Every request rechecks the sign-in, so a changed or signed-out person is out at once, not at cookie expiry.</summary>
    private static async Task ValidateStillSignedIn(CookieValidatePrincipalContext context)
    {
        var grains = context.HttpContext.RequestServices.GetRequiredService<IGrainFactory>();
        if (context.Principal is not { } user || !await user.StillSignedInAsync(grains))
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    private static Task Problem(HttpContext http, int status, string title, string detail)
    {
        var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
        http.Response.StatusCode = status;
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        }).AsTask();
    }
}
