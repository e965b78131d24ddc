using System.Globalization;
using System.Text.Json.Serialization;

namespace Commitments.LocalTwilio.Messages;

/// <summary>The Message object on the wire (schema api.v2010.account.message), snake_case, counts as strings.</summary>
internal sealed record MessageResource(
    [property: JsonPropertyName("account_sid")] string AccountSid,
    [property: JsonPropertyName("api_version")] string ApiVersion,
    [property: JsonPropertyName("body")] string Body,
    [property: JsonPropertyName("date_created")] string? DateCreated,
    [property: JsonPropertyName("date_sent")] string? DateSent,
    [property: JsonPropertyName("date_updated")] string? DateUpdated,
    [property: JsonPropertyName("direction")] string Direction,
    [property: JsonPropertyName("error_code")] int? ErrorCode,
    [property: JsonPropertyName("error_message")] string? ErrorMessage,
    [property: JsonPropertyName("from")] string From,
    [property: JsonPropertyName("messaging_service_sid")] string? MessagingServiceSid,
    [property: JsonPropertyName("num_media")] string NumMedia,
    [property: JsonPropertyName("num_segments")] string NumSegments,
    [property: JsonPropertyName("price")] string? Price,
    [property: JsonPropertyName("price_unit")] string PriceUnit,
    [property: JsonPropertyName("sid")] string Sid,
    [property: JsonPropertyName("status")] string Status,
    [property: JsonPropertyName("subresource_uris")] IReadOnlyDictionary<string, string> SubresourceUris,
    [property: JsonPropertyName("to")] string To,
    [property: JsonPropertyName("uri")] string Uri)
{
    public const string ApiVersionValue = "2010-04-01";

    public static string PathOf(string accountSid, string sid) => $"/{ApiVersionValue}/Accounts/{accountSid}/Messages/{sid}";

    public static MessageResource Of(StoredMessage m)
    {
        var path = PathOf(m.AccountSid, m.Sid);
        return new MessageResource(
            m.AccountSid,
            ApiVersionValue,
            m.Body,
            TwilioDates.Rfc2822(m.DateCreated),
            TwilioDates.Rfc2822(m.DateSent),
            TwilioDates.Rfc2822(m.DateUpdated),
            m.Direction,
            m.ErrorCode,
            m.ErrorMessage,
            m.From,
            m.MessagingServiceSid,
            m.NumMedia.ToString(CultureInfo.InvariantCulture),
            m.NumSegments.ToString(CultureInfo.InvariantCulture),
            null,
            "USD",
            m.Sid,
            m.Status,
            new Dictionary<string, string>
            {
                ["media"] = $"{path}/Media.json",
                ["feedback"] = $"{path}/Feedback.json",
            },
            m.To,
            $"{path}.json");
    }
}

/// <summary>A page of the Messages list.</summary>
internal sealed record MessagePage(
    [property: JsonPropertyName("end")] int End,
    [property: JsonPropertyName("first_page_uri")] string FirstPageUri,
    [property: JsonPropertyName("messages")] IReadOnlyList<MessageResource> Messages,
    [property: JsonPropertyName("next_page_uri")] string? NextPageUri,
    [property: JsonPropertyName("page")] int Page,
    [property: JsonPropertyName("page_size")] int PageSize,
    [property: JsonPropertyName("previous_page_uri")] string? PreviousPageUri,
    [property: JsonPropertyName("start")] int Start,
    [property: JsonPropertyName("uri")] string Uri);

/// <summary>Twilio's error: HTTP status plus {code, message, more_info, status}.</summary>
internal sealed record TwilioError(int Code, string Message, int Status = StatusCodes.Status400BadRequest)
{
    public IResult ToResult() => TypedResults.Json(
        new TwilioErrorBody(Code, Message, $"https://www.twilio.com/docs/errors/{Code}", Status),
        statusCode: Status);

    public static TwilioError NotFound(string path) =>
        new(20404, $"The requested resource {path} was not found", StatusCodes.Status404NotFound);

    public static readonly TwilioError Unauthenticated = new(20003, "Authenticate", StatusCodes.Status401Unauthorized);
}

internal sealed record TwilioErrorBody(
    [property: JsonPropertyName("code")] int Code,
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("more_info")] string MoreInfo,
    [property: JsonPropertyName("status")] int Status);
