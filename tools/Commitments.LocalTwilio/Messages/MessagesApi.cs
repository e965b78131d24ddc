using System.Net.Http.Headers;
using Commitments.LocalTwilio.Delivery;
using Commitments.LocalTwilio.Faults;

namespace Commitments.LocalTwilio.Messages;

/// <summary>Twilio's Messages resource under /2010-04-01/Accounts/{AccountSid}, on the real wire format (spec §1).</summary>
internal static class MessagesApi
{
    private const int DefaultPageSize = 50;
    private const int MaxPageSize = 1000;

    public static RouteGroupBuilder MapTwilioMessagesApi(this IEndpointRouteBuilder routes)
    {
        var account = routes.MapGroup($"/{MessageResource.ApiVersionValue}/Accounts/{{accountSid}}")
            .AddEndpointFilter<TwilioAuthFilter>();
        account.MapPost("/Messages.json", CreateAsync);
        account.MapGet("/Messages.json", List);
        account.MapGet("/Messages/{sid}.json", Fetch);
        account.MapPost("/Messages/{sid}.json", UpdateAsync);
        account.MapDelete("/Messages/{sid}.json", Delete);
        // Anything else Twilio would not know: its 404, after authentication as Twilio does.
        account.Map("/{**rest}", (HttpContext http) => TwilioError.NotFound(http.Request.Path).ToResult());
        return account;
    }

    private static async Task<IResult> CreateAsync(HttpContext http, MessageStore store, Lifecycle lifecycle, TimeProvider time)
    {
        var ct = http.RequestAborted;
        var fault = store.TakeFault();
        try
        {
            if (fault is { Kind: not FaultKind.TimeoutAfterCreate } && fault.Delay > TimeSpan.Zero)
            {
                await Task.Delay(fault.Delay, time, ct);
            }
            switch (fault?.Kind)
            {
                case FaultKind.TooManyRequests:
                    http.Response.Headers["Twilio-Concurrent-Requests"] = "101";
                    return new TwilioError(20429, "Too Many Requests", StatusCodes.Status429TooManyRequests).ToResult();
                case FaultKind.ServerError:
                    return new TwilioError(20500, "An internal server error has occurred", StatusCodes.Status500InternalServerError).ToResult();
                case FaultKind.Unavailable:
                    return new TwilioError(20503, "Service Unavailable", StatusCodes.Status503ServiceUnavailable).ToResult();
                case FaultKind.Reset:
                    http.Abort();
                    return Results.Empty;
                case FaultKind.NonJson:
                    return TypedResults.Content(
                        "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
                        "text/html",
                        statusCode: StatusCodes.Status502BadGateway);
            }

            var form = await ReadFormAsync(http.Request, ct);
            if (form is null)
            {
                return new TwilioError(21604, $"A 'To' phone number is required. (The body must be application/x-www-form-urlencoded, not '{http.Request.ContentType}'.)").ToResult();
            }
            var (request, error) = SendValidation.Validate(form, store);
            if (error is not null)
            {
                return error.ToResult();
            }

            var filtered = fault?.Kind == FaultKind.ErrorCode201;
            var status = filtered ? "failed" : request!.SendAt is not null ? "scheduled" : request.MessagingServiceSid is not null ? "accepted" : "queued";
            var message = store.Add(new NewMessage(
                request!.From,
                request.To,
                request.Body,
                Directions.OutboundApi,
                status,
                request.MessagingServiceSid,
                Segments.Count(request.Body, request.SmartEncoded),
                request.NumMedia,
                request.StatusCallback,
                request.ValidityPeriod,
                filtered ? 30007 : null,
                request.NumMedia > 0 ? "MM" : "SM"));
            var resource = store.Read(message.Sid, MessageResource.Of)!;
            if (!filtered)
            {
                lifecycle.Begin(message.Sid, status, request.ValidityPeriod, request.SendAt);
            }

            switch (fault?.Kind)
            {
                case FaultKind.TimeoutAfterCreate:
                    await Task.Delay(fault.Delay, time, ct);
                    break;
                case FaultKind.ServerErrorAfterCreate:
                    return new TwilioError(20500, "An internal server error has occurred", StatusCodes.Status500InternalServerError).ToResult();
            }
            return TypedResults.Json(resource, statusCode: StatusCodes.Status201Created);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client gave up (the point of timeout-after-create); nobody is left to answer.
            return Results.Empty;
        }
    }

    private static IResult Fetch(HttpContext http, string sid, MessageStore store) =>
        store.Read(sid, m => m.Deleted ? null : MessageResource.Of(m)) is { } resource
            ? TypedResults.Json(resource)
            : TwilioError.NotFound(http.Request.Path).ToResult();

    private static async Task<IResult> UpdateAsync(HttpContext http, string sid, MessageStore store, Lifecycle lifecycle)
    {
        var form = await ReadFormAsync(http.Request, http.RequestAborted);
        if (form is null)
        {
            return new TwilioError(20001, $"The body must be application/x-www-form-urlencoded, not '{http.Request.ContentType}'.").ToResult();
        }
        if (store.Read(sid, m => !m.Deleted) != true)
        {
            return TwilioError.NotFound(http.Request.Path).ToResult();
        }

        if (form.TryGetValue("Status", out var status))
        {
            if (status != "canceled")
            {
                return new TwilioError(20001, $"Status can only be set to 'canceled', not '{status}'.").ToResult();
            }
            var change = store.Transition(sid, "canceled", null, m => m.Status is "scheduled" or "queued" or "accepted");
            if (change is null)
            {
                return new TwilioError(30409, "This message cannot be canceled: it is no longer scheduled or queued.").ToResult();
            }
            lifecycle.Notify(change);
        }
        else if (form.TryGetValue("Body", out var body))
        {
            if (body.ToString().Length > 0)
            {
                return new TwilioError(20001, "Body can only be set to the empty string (redaction).").ToResult();
            }
            store.Update(sid, m =>
            {
                m!.Body = "";
                m.DateUpdated = TwilioDates.Truncate(store.Now);
                return true;
            });
        }
        return TypedResults.Json(store.Read(sid, MessageResource.Of)!);
    }

    private static IResult Delete(HttpContext http, string sid, MessageStore store)
    {
        var deleted = store.Update(sid, m =>
        {
            if (m is null || m.Deleted)
            {
                return false;
            }
            m.Deleted = true;
            return true;
        });
        return deleted ? TypedResults.NoContent() : TwilioError.NotFound(http.Request.Path).ToResult();
    }

    private static IResult List(HttpContext http, MessageStore store)
    {
        var query = http.Request.Query;
        var filters = new List<KeyValuePair<string, string>>();
        foreach (var key in new[] { "To", "From", "DateSent", "DateSent>", "DateSent<" })
        {
            if (query.TryGetValue(key, out var value) && value.ToString().Length > 0)
            {
                filters.Add(new(key, value.ToString()));
            }
        }

        var predicates = new List<Func<StoredMessage, bool>> { m => !m.Deleted };
        foreach (var (key, value) in filters)
        {
            if (key is "To" or "From")
            {
                predicates.Add(key == "To" ? m => m.To == value : m => m.From == value);
                continue;
            }
            if (!TwilioDates.TryParseFilter(value, out var at, out var dateOnly))
            {
                return new TwilioError(20001, $"Invalid {key} value '{value}': use YYYY-MM-DD or an ISO 8601 instant.").ToResult();
            }
            // A message not yet sent is filtered on its creation time, so a look-up right after a timeout finds it.
            predicates.Add(key switch
            {
                "DateSent>" => m => Sent(m) >= at,
                "DateSent<" => dateOnly ? m => Sent(m) < at.AddDays(1) : m => Sent(m) <= at,
                _ => dateOnly ? m => Sent(m) >= at && Sent(m) < at.AddDays(1) : m => Sent(m) == TwilioDates.Truncate(at),
            });
        }

        if (!TryInt(query, "PageSize", DefaultPageSize, out var pageSize) || pageSize is < 1 or > MaxPageSize)
        {
            return new TwilioError(20001, $"PageSize must be a whole number from 1 to {MaxPageSize}.").ToResult();
        }
        if (!TryInt(query, "Page", 0, out var page) || page < 0)
        {
            return new TwilioError(20001, "Page must be a whole number, 0 or more.").ToResult();
        }

        // Newest first, as Twilio lists them.
        var all = store.Select(m => predicates.All(p => p(m)), m => (m.Sid, Resource: MessageResource.Of(m))).Reverse().ToList();
        var start = page * pageSize;
        if (query["PageToken"].ToString() is { Length: > 2 } token && token.StartsWith("PA", StringComparison.Ordinal))
        {
            var after = all.FindIndex(m => m.Sid == token[2..]);
            if (after >= 0)
            {
                start = after + 1;
            }
        }
        var items = all.Skip(start).Take(pageSize).ToList();

        var path = http.Request.Path.Value!;
        string Uri(int p, string? pageToken)
        {
            var parts = filters.Append(new("PageSize", pageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)))
                .Append(new("Page", p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (pageToken is not null)
            {
                parts = parts.Append(new("PageToken", pageToken));
            }
            return path + "?" + string.Join("&", parts.Select(kv => $"{System.Uri.EscapeDataString(kv.Key)}={System.Uri.EscapeDataString(kv.Value)}"));
        }

        return TypedResults.Json(new MessagePage(
            End: start + Math.Max(items.Count, 1) - 1,
            FirstPageUri: Uri(0, null),
            Messages: [.. items.Select(i => i.Resource)],
            NextPageUri: start + items.Count < all.Count ? Uri(page + 1, "PA" + items[^1].Sid) : null,
            Page: page,
            PageSize: pageSize,
            PreviousPageUri: page > 0 ? Uri(page - 1, null) : null,
            Start: start,
            Uri: Uri(page, query["PageToken"].ToString() is { Length: > 0 } t ? t : null)));
    }

    private static DateTimeOffset Sent(StoredMessage m) => m.DateSent ?? m.DateCreated;

    private static bool TryInt(IQueryCollection query, string key, int fallback, out int value)
    {
        value = fallback;
        return !query.TryGetValue(key, out var text) || int.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out value);
    }

    /// <summary>Twilio reads application/x-www-form-urlencoded only; anything else is a missing form (null).</summary>
    private static async Task<IFormCollection?> ReadFormAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength is 0 or null && request.ContentType is null)
        {
            return FormCollection.Empty;
        }
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var type)
            || !string.Equals(type.MediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        return await request.ReadFormAsync(ct);
    }
}
