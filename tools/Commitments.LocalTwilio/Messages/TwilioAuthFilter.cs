using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Commitments.LocalTwilio.Messages;

/// <summary>
/// Basic auth as Twilio does it: Account SID + auth token, or API key SID + secret; and the account in
/// the path must be the one authenticated. Anything else is 401 with code 20003.
/// </summary>
internal sealed class TwilioAuthFilter(MessageStore store) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var options = store.Options;
        if (!TryReadBasic(http.Request, out var user, out var secret)
            || !(Same(user, options.AccountSid) && Same(secret, options.AuthToken)
                 || !string.IsNullOrEmpty(options.ApiKeySid) && Same(user, options.ApiKeySid) && Same(secret, options.ApiKeySecret))
            || !string.Equals(http.Request.RouteValues["accountSid"] as string, options.AccountSid, StringComparison.Ordinal))
        {
            http.Response.Headers.WWWAuthenticate = "Basic realm=\"Twilio API\"";
            return TwilioError.Unauthenticated.ToResult();
        }
        return await next(context);
    }

    private static bool TryReadBasic(HttpRequest request, out string user, out string secret)
    {
        user = secret = "";
        if (!AuthenticationHeaderValue.TryParse(request.Headers.Authorization, out var header)
            || !string.Equals(header.Scheme, "Basic", StringComparison.OrdinalIgnoreCase)
            || header.Parameter is null)
        {
            return false;
        }
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(header.Parameter));
            var colon = pair.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                return false;
            }
            (user, secret) = (pair[..colon], pair[(colon + 1)..]);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(a), Encoding.UTF8.GetBytes(b));
}
