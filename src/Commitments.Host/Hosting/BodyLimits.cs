using Microsoft.AspNetCore.Http.Features;

namespace Commitments.Host.Hosting;

/// <summary>Request body limits (section "Limits"): the largest valid request with room to spare.</summary>
public sealed class BodyLimitOptions
{
    /// <summary>Any /api call (default 64 KiB; the largest valid one is about 6 KiB).</summary>
    public long ApiBytes { get; set; } = 64 * 1024;

    /// <summary>Twilio's webhooks (default 32 KiB; a 1,600-character inbound text is about 15 KiB form-encoded).</summary>
    public long WebhookBytes { get; set; } = 32 * 1024;
}

/// <summary>Refuses an oversized body before anything reads it: by declared length, or by Kestrel's limit for chunked bodies.</summary>
internal static class BodyLimits
{
    public static IHostApplicationBuilder AddCommitmentsBodyLimits(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<BodyLimitOptions>().BindConfiguration("Limits")
            .Validate(o => o.ApiBytes > 0 && o.WebhookBytes > 0, "Limits:ApiBytes and Limits:WebhookBytes must be positive.")
            .ValidateOnStart();
        return builder;
    }

    public static IApplicationBuilder UseBodyLimits(this IApplicationBuilder app)
    {
        var options = app.ApplicationServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<BodyLimitOptions>>().Value;
        return app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            long? limit = path.StartsWithSegments("/api") ? options.ApiBytes
                : path.StartsWithSegments("/webhooks") ? options.WebhookBytes
                : null;
            if (limit is not { } max)
            {
                await next(http);
                return;
            }

            if (http.Request.ContentLength > max)
            {
                throw TooLarge(max);
            }

            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
            {
                feature.MaxRequestBodySize = max;
            }

            await next(http);
            if (http.Response.StatusCode == StatusCodes.Status413PayloadTooLarge && !http.Response.HasStarted)
            {
                // A chunked body passed Kestrel's limit, which answers 413 with no body.
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = new HttpValidationProblemDetails(
                        new Dictionary<string, string[]> { ["body"] = ["is too large for this call."] })
                    {
                        Status = StatusCodes.Status413PayloadTooLarge,
                        Title = "Request body too large",
                        Detail = TooLarge(max).Message,
                    },
                });
            }
        });
    }

    /// <summary>The error for a body over <paramref name="max"/> bytes; its message becomes the ProblemDetails' detail.</summary>
    public static BadHttpRequestException TooLarge(long max) =>
        new($"The body is larger than this call takes: {max:N0} bytes at most.", StatusCodes.Status413PayloadTooLarge);
}
