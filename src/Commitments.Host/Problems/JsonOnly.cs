
namespace Commitments.Host.Problems;

/// <summary>
/// State-changing API calls take only JSON bodies, which a cross-site HTML form cannot send (CSRF defence).
/// A bodyless call with no content type (<c>curl -X POST</c>) passes unless the browser marks it cross-site.
/// </summary>
/// <remarks>Middleware rather than an endpoint filter, so it answers before body binding does.</remarks>
internal static class JsonOnly
{
    public static IApplicationBuilder UseJsonOnlyForApi(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var request = http.Request;
        if (request.Path.StartsWithSegments("/api")
            && !HttpMethods.IsGet(request.Method)
            && !HttpMethods.IsHead(request.Method)
            && !HttpMethods.IsOptions(request.Method)
            && !request.HasJsonContentType()
            && !IsBodyless(http))
        {
            throw new BadHttpRequestException("Expected a JSON body.", StatusCodes.Status415UnsupportedMediaType);
        }

        return next(http);
    });

    private static bool IsBodyless(HttpContext http) =>
        string.IsNullOrEmpty(http.Request.ContentType)
        && (http.Request.ContentLength == 0
            || http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        && !string.Equals(http.Request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase);
}
