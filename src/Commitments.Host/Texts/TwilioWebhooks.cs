using System.Security;
using Commitments.Grains.Texts;
using Commitments.Twilio;
using Microsoft.Extensions.Options;

namespace Commitments.Host.Texts;

/// <summary>
/// Twilio's status callbacks and inbound texts, signature-checked against the public URL (either token); a bad
/// signature is 403 and changes nothing. Inbound answers are TwiML or 204.
/// </summary>
internal static partial class TwilioWebhooks
{
    public const string StatusPath = "/webhooks/twilio/status";
    public const string InboundPath = "/webhooks/twilio/inbound";

    public static IEndpointRouteBuilder MapTwilioWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("").AddEndpointFilter<TwilioSignatureFilter>().ExcludeFromDescription().DisableAntiforgery();
        group.MapPost(StatusPath, Status);
        group.MapPost(InboundPath, Inbound);
        return app;
    }

    private static async Task<IResult> Status(HttpContext http, IGrainFactory grains, ILogger<TwilioSignatureFilter> logger)
    {
        var form = await http.Request.ReadFormAsync();
        var query = http.Request.Query;
        if (query["site"].ToString() is not { Length: > 0 } site || !Guid.TryParse(query["promise"], out var promise)
            || query["text"].ToString() is not { Length: > 0 } textId || form["MessageSid"].ToString() is not { Length: > 0 } sid
            || form["MessageStatus"].ToString() is not { Length: > 0 } status)
        {
            return TypedResults.BadRequest();
        }

        int? errorCode = int.TryParse(form["ErrorCode"], out var code) ? code : null;
        await TextOutboxes.Of(grains, site, promise).UpdateTextStatus(textId, sid, status, errorCode);
        LogStatus(logger, sid, status);
        return TypedResults.Ok();
    }

    private static async Task<IResult> Inbound(HttpContext http, IGrainFactory grains)
    {
        var form = await http.Request.ReadFormAsync();
        var from = form["From"].ToString();
        var sid = form["MessageSid"].ToString();
        if (!E164.IsValid(from) || sid.Length == 0)
        {
            return TypedResults.NoContent();
        }

        var reply = await IHandsetGrain.For(grains, from).Receive(new InboundText(sid, form["Body"].ToString()));
        return reply.Message is null
            ? TypedResults.NoContent()
            : TypedResults.Text(
                $"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{SecurityElement.Escape(reply.Message)}</Message></Response>",
                "text/xml");
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Status of {Sid}: {Status}")]
    private static partial void LogStatus(ILogger logger, string sid, string status);
}

/// <summary>Checks X-Twilio-Signature over the public URL Twilio called and every form field it sent.</summary>
internal sealed partial class TwilioSignatureFilter(IOptions<TwilioOptions> options, ILogger<TwilioSignatureFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        var twilio = options.Value;

        // Nothing unsigned is read: without the header the body stays unread.
        if (string.IsNullOrEmpty(request.Headers[TwilioSignature.Header]))
        {
            LogUnsigned(logger, request.Path);
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        // Behind TLS termination the Host header is not what Twilio called: use the configured public URL.
        var url = twilio.PublicBaseUrl!.TrimEnd('/') + request.PathBase + request.Path + request.QueryString;
        var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
        var fields = form?.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? ""))) ?? [];
        if (!TwilioSignature.IsValid(url, fields, request.Headers[TwilioSignature.Header], [twilio.AuthToken, twilio.SecondaryAuthToken]))
        {
            LogForged(logger, request.Path);
            return TypedResults.StatusCode(StatusCodes.Status403Forbidden);
        }

        return await next(context);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a webhook to {Path}: it carries no Twilio signature")]
    private static partial void LogUnsigned(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected a webhook to {Path}: its Twilio signature does not match")]
    private static partial void LogForged(ILogger logger, string path);
}
