
namespace Commitments.Host.Problems;

/// <summary>
/// State-changing API calls take only JSON bodies (Content-Type: application/json): an HTML form
/// from another site can never send that, so it cannot act as a user. A call with no body and no
/// content type at all (what <c>curl -X POST</c> sends) is no form either and is let through, unless
/// the browser says it comes from another site; a call whose body is required then hears so.
/// </summary>
/// <remarks>Middleware rather than an endpoint filter, so it answers before body binding does.</remarks>
internal static class JsonOnly
{
    public static IApplicationBuilder UseJsonOnlyForApi(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var request = http.Request;
        if (request.Path.StartsWithSegments("/api")
            && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method) && !HttpMethods.IsOptions(request.Method)
            && !request.HasJsonContentType()
            && !IsBodyless(http))
        {
            throw new BadHttpRequestException("Expected a JSON body.", StatusCodes.Status415UnsupportedMediaType);
        }

        return next(http);
    });

    private static bool IsBodyless(HttpContext http) =>
        string.IsNullOrEmpty(http.Request.ContentType)
        && (http.Request.ContentLength == 0 || http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false)
        && !string.Equals(http.Request.Headers["Sec-Fetch-Site"], "cross-site", StringComparison.OrdinalIgnoreCase);
}
