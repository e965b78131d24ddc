using System.Globalization;
using System.Threading.RateLimiting;
using Commitments.Host.Auth;

namespace Commitments.Host.Hosting;

/// <summary>Per-client request limits (section "RateLimiting"); generous, so only a runaway client notices.</summary>
public sealed class RateLimitOptions
{
    /// <summary>Requests one client (signed-in staff member, else IP address) may make per window (default 600).</summary>
    public int PermitLimit { get; set; } = 600;

    /// <summary>The window (default 1 minute).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}

internal static class RateLimitHosting
{
    public const string Policy = "per-client";

    public static IHostApplicationBuilder AddCommitmentsRateLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RateLimitOptions>().BindConfiguration("RateLimiting");
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Policy, http =>
            {
                var options = http.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<RateLimitOptions>>().Value;
                var user = http.User.StaffId() is { } staff ? $"{http.User.SiteId()}/{staff}" : null;
                var key = user ?? http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
                return RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
                {
                    PermitLimit = options.PermitLimit,
                    Window = options.Window,
                    QueueLimit = 0,
                });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var http = context.HttpContext;
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
                var problems = http.RequestServices.GetRequiredService<IProblemDetailsService>();
                await problems.WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails =
                    {
                        Status = StatusCodes.Status429TooManyRequests,
                        Title = "Too many requests",
                        Detail = "This client is sending requests too fast; wait for Retry-After seconds.",
                    },
                });
            };
        });
        return builder;
    }
}
