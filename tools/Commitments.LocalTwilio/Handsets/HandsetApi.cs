using System.Globalization;
using System.Security.Cryptography;
using Commitments.LocalTwilio.Delivery;
using Commitments.LocalTwilio.Messages;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Commitments.LocalTwilio.Handsets;

internal sealed record HandsetSendRequest(string? From, string? To, string? Body);

/// <summary>
/// What happened when a handset texted: the inbound SID, the app's raw answer, the TwiML replies, and
/// whether Twilio would have accepted the answer (Problem names the Twilio error when not).
/// </summary>
internal sealed record HandsetSendResult(
    string Sid,
    int? ResponseStatus,
    string? ContentType,
    string? Body,
    IReadOnlyList<string> Replies,
    bool Valid,
    string? Problem,
    string? AutoReply,
    string? OptOutType);

/// <summary>A handset texts one of the fake's numbers: opt-out keywords, then the signed inbound webhook (spec §3).</summary>
internal static class HandsetApi
{
    public static RouteGroupBuilder MapHandsetApi(this RouteGroupBuilder fake)
    {
        fake.MapPost("/handset/send", SendAsync);
        return fake;
    }

    private static async Task<Results<Ok<HandsetSendResult>, ProblemHttpResult>> SendAsync(
        HandsetSendRequest request, MessageStore store, WebhookClient webhooks, CancellationToken ct)
    {
        if (!PhoneNumber.IsE164(request.From) || store.IsOwned(request.From!))
        {
            return TypedResults.Problem($"from '{request.From}' must be an E.164 handset number that is not one of the fake's own numbers.", statusCode: 400);
        }
        if (request.To is null || !store.IsOwned(request.To))
        {
            return TypedResults.Problem($"to '{request.To}' must be one of the fake's numbers: {string.Join(", ", store.Numbers().Select(n => n.Number))}.", statusCode: 400);
        }
        if (request.Body is null)
        {
            return TypedResults.Problem("body is required (it may be empty).", statusCode: 400);
        }

        var (from, to) = (request.From!, request.To);
        var service = store.ServiceOf(to);
        // Twilio truncates an inbound body over 1,600 characters and marks the message failed with 21617.
        var tooLong = request.Body.Length > SendValidation.MaxBodyLength;
        var body = tooLong ? request.Body[..SendValidation.MaxBodyLength] : request.Body;
        var inbound = store.Add(new NewMessage(
            from, to, body, Directions.Inbound, tooLong ? "failed" : "received", service?.Sid,
            Segments.Count(body, smartEncoded: false), ErrorCode: tooLong ? 21617 : null));

        var keyword = Keywords.Classify(body);
        string? autoReply = null;
        if (keyword != Keyword.None)
        {
            if (keyword != Keyword.Help)
            {
                store.SetOptOut(handset: from, number: to, optedOut: keyword == Keyword.Stop);
            }
            autoReply = Keywords.Reply(keyword);
            store.Add(new NewMessage(to, from, autoReply, Directions.OutboundReply, "delivered", service?.Sid, Segments.Count(autoReply, smartEncoded: false)));
        }
        // OptOutType is sent only for numbers in a messaging service (Advanced Opt-Out).
        var optOutType = keyword != Keyword.None && service is not null ? keyword.ToString().ToUpperInvariant() : null;

        if (store.SmsUrl(to) is not { } url)
        {
            return TypedResults.Ok(new HandsetSendResult(
                inbound.Sid, null, null, null, [], false,
                $"11200 {to} has no SmsUrl: set LocalTwilio:PhoneNumbers[].SmsUrl or PUT /_fake/numbers/{to}.", autoReply, optOutType));
        }

        var form = InboundForm(inbound, store.Options.AccountSid, optOutType);
        var answer = await webhooks.PostAsync(url, form, RandomNumberGenerator.GetHexString(32, lowercase: true), ct);
        store.RecordCallback(inbound.Sid, new CallbackRecord(url, inbound.Status, answer.Status, store.Now, Dropped: false, answer.Error));
        var verdict = TwimlVerdict.Judge(answer);

        // The app's TwiML replies go out from our number, unless the handset has opted out.
        foreach (var reply in verdict.Replies)
        {
            var blocked = store.IsOptedOut(handset: from, number: to);
            store.Add(new NewMessage(
                to, from, reply, Directions.OutboundReply, blocked ? "failed" : "delivered", service?.Sid,
                Segments.Count(reply, smartEncoded: false), ErrorCode: blocked ? 21610 : null));
        }

        return TypedResults.Ok(new HandsetSendResult(
            inbound.Sid, answer.Status, answer.ContentType, answer.Body, verdict.Replies, verdict.Valid, verdict.Problem, autoReply, optOutType));
    }

    /// <summary>The full inbound parameter set of spec §3.</summary>
    private static List<KeyValuePair<string, string>> InboundForm(StoredMessage m, string accountSid, string? optOutType)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("ToCountry", PhoneNumber.Country(m.To)),
            new("ToState", ""),
            new("SmsMessageSid", m.Sid),
            new("NumMedia", "0"),
            new("ToCity", ""),
            new("FromZip", ""),
            new("SmsSid", m.Sid),
            new("FromState", ""),
            new("SmsStatus", "received"),
            new("FromCity", ""),
            new("Body", m.Body),
            new("FromCountry", PhoneNumber.Country(m.From)),
            new("To", m.To),
            new("ToZip", ""),
            new("NumSegments", m.NumSegments.ToString(CultureInfo.InvariantCulture)),
            new("MessageSid", m.Sid),
            new("AccountSid", accountSid),
            new("From", m.From),
            new("ApiVersion", MessageResource.ApiVersionValue),
        };
        if (m.MessagingServiceSid is not null)
        {
            form.Add(new("MessagingServiceSid", m.MessagingServiceSid));
        }
        if (optOutType is not null)
        {
            form.Add(new("OptOutType", optOutType));
        }
        return form;
    }
}
