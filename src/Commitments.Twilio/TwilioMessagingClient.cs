using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commitments.Twilio;

/// <summary>One text to send. The sender comes from options unless given here.</summary>
public sealed record SendMessage(string To, string Body, string? StatusCallback = null)
{
    public string? From { get; init; }

    public string? MessagingServiceSid { get; init; }

    /// <summary>Let Twilio replace look-alike characters so the text stays GSM-7.</summary>
    public bool SmartEncoded { get; init; } = true;

    /// <summary>Seconds the text stays worth delivering; null takes the configured default.</summary>
    public int? ValidityPeriodSeconds { get; init; }
}

/// <summary>
/// Twilio Messaging over plain HTTP (§1): form posts, Basic auth, no redirects; failures are <see cref="TwilioException"/>s.
/// Logs carry masked numbers and never a message body.
/// </summary>
public sealed partial class TwilioMessagingClient(
    HttpClient http, IOptions<TwilioOptions> options, ILogger<TwilioMessagingClient> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.General);

    private TwilioOptions Options => options.Value;

    private string MessagesPath => $"2010-04-01/Accounts/{Uri.EscapeDataString(Options.AccountSid ?? "")}/Messages";

    public async Task<TwilioMessage> SendAsync(SendMessage message, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("To", message.To), new("Body", message.Body) };
        var from = message.From ?? (message.MessagingServiceSid is null ? Options.From : null);
        var service = message.MessagingServiceSid ?? (from is null ? Options.MessagingServiceSid : null);
        if (from is not null)
        {
            form.Add(new("From", from));
        }

        if (service is not null)
        {
            form.Add(new("MessagingServiceSid", service));
        }

        if (message.StatusCallback is not null)
        {
            form.Add(new("StatusCallback", message.StatusCallback));
        }

        form.Add(new("SmartEncoded", message.SmartEncoded ? "true" : "false"));
        form.Add(new("ValidityPeriod", (message.ValidityPeriodSeconds ?? Options.ValidityPeriodSeconds).ToString(CultureInfo.InvariantCulture)));

        using var request = Request(HttpMethod.Post, $"{MessagesPath}.json");
        request.Content = new FormUrlEncodedContent(form);
        using var response = await SendRawAsync(request, "create", Mask(message.To), cancellationToken);
        var sent = await ReadAsync<TwilioMessage>(response, cancellationToken);

        // Only a 201 with a message SID is a created message; anything else leaves the outcome unknown.
        if (response.StatusCode != System.Net.HttpStatusCode.Created || sent?.Sid is null)
        {
            throw new TwilioException(TwilioFailureKind.Unknown, (int)response.StatusCode, null,
                $"Twilio answered {(int)response.StatusCode} without a created message.");
        }

        // A 201 can still carry an error (e.g. 30007 filtered): resending that text as it is would fail too.
        if (sent.ErrorCode is { } code)
        {
            LogRefused(logger, Mask(message.To), 201, code);
            throw new TwilioException(
                TwilioFailureKind.Permanent, 201, code, sent.ErrorMessage ?? $"Twilio accepted the request but reported error {code}.");
        }

        LogSent(logger, sent.Sid ?? "?", Mask(message.To), sent.Status ?? "?");
        return sent;
    }

    /// <summary>The message with this SID, or null when Twilio has none.</summary>
    public async Task<TwilioMessage?> FetchAsync(string sid, CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, $"{MessagesPath}/{Uri.EscapeDataString(sid)}.json");
        try
        {
            return await SendAndReadAsync(request, "fetch", sid, cancellationToken);
        }
        catch (TwilioException ex) when (ex.Status == 404)
        {
            return null;
        }
    }

    /// <summary>
    /// Messages sent on or after the day of <paramref name="sentSince"/> (Twilio filters DateSent by day), newest first.
    /// </summary>
    public async Task<IReadOnlyList<TwilioMessage>> ListAsync(
        string to, string? from, DateTimeOffset sentSince, int max = 50, CancellationToken cancellationToken = default)
    {
        var query = new StringBuilder($"{MessagesPath}.json?To={Uri.EscapeDataString(to)}");
        if (from is not null)
        {
            query.Append("&From=").Append(Uri.EscapeDataString(from));
        }

        query.Append("&").Append(Uri.EscapeDataString("DateSent>")).Append('=')
            .Append(sentSince.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
            .Append("&PageSize=").Append(Math.Clamp(max, 1, 1000).ToString(CultureInfo.InvariantCulture));

        var found = new List<TwilioMessage>();
        string? next = query.ToString();
        while (next is not null && found.Count < max)
        {
            using var request = Request(HttpMethod.Get, next.TrimStart('/'));
            using var response = await SendRawAsync(request, "list", Mask(to), cancellationToken);
            var page = await ReadAsync<TwilioMessagePage>(response, cancellationToken);
            found.AddRange(page?.Messages ?? []);
            next = page?.NextPageUri;
        }

        return found.Take(max).ToList();
    }

    private HttpRequestMessage Request(HttpMethod method, string relative)
    {
        var baseUrl = Options.BaseUrl.TrimEnd('/') + "/";
        var request = new HttpRequestMessage(method, new Uri(new Uri(baseUrl), relative));
        var (user, secret) = Options.UsesApiKey ? (Options.ApiKeySid!, Options.ApiKeySecret!) : (Options.AccountSid!, Options.AuthToken!);
        request.Headers.Authorization =
            new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return request;
    }

    private async Task<TwilioMessage> SendAndReadAsync(
        HttpRequestMessage request, string operation, string subject, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(request, operation, subject, cancellationToken);
        return await ReadAsync<TwilioMessage>(response, cancellationToken)
            ?? throw new TwilioException(TwilioFailureKind.Unknown, (int)response.StatusCode, null, "Twilio answered without a message.");
    }

    private async Task<HttpResponseMessage> SendRawAsync(
        HttpRequestMessage request, string operation, string subject, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            LogNoAnswer(logger, operation, subject, "timeout");
            throw new TwilioException(
                TwilioFailureKind.Unknown, null, null, $"Twilio did not answer within {Options.RequestTimeout.TotalSeconds:0} s.", ex);
        }
        catch (HttpRequestException ex)
        {
            LogNoAnswer(logger, operation, subject, ex.HttpRequestError.ToString());
            throw new TwilioException(TwilioFailureKind.Unknown, null, null, "The connection to Twilio failed: " + ex.HttpRequestError, ex);
        }

        if ((int)response.StatusCode < 400)
        {
            return response;
        }

        using (response)
        {
            var (code, message) = await ReadErrorAsync(response, cancellationToken);
            var status = (int)response.StatusCode;
            LogRefused(logger, subject, status, code);
            throw new TwilioException(TwilioException.Classify(status, code), status, code,
                message ?? $"Twilio answered {status}{(code is null ? "" : $" (error {code})")}.");
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync<T>(Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            throw new TwilioException(TwilioFailureKind.Unknown, (int)response.StatusCode, null, "Twilio's answer was not the JSON expected.", ex);
        }
    }

    /// <summary>Twilio's error body is usually JSON {code, message, more_info, status}, but not always.</summary>
    private static async Task<(int? Code, string? Message)> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            var body = JsonSerializer.Deserialize<TwilioErrorBody>(text, Json);
            int? code = body?.Code.ValueKind switch
            {
                JsonValueKind.Number when body.Code.TryGetInt32(out var n) => n,
                JsonValueKind.String when int.TryParse(body.Code.GetString(), out var n) => n,
                _ => null,
            };
            return (code, body?.Message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>Numbers in logs: country code and the last four digits.</summary>
    public static string Mask(string? number) =>
        number is null || number.Length < 6 ? "***" : $"{number[..2]} *** {number[^4..]}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Twilio accepted {Sid} to {To}: {Status}")]
    private static partial void LogSent(ILogger logger, string sid, string to, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio refused a call about {Subject}: HTTP {Status}, error {Code}")]
    private static partial void LogRefused(ILogger logger, string subject, int status, int? code);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Twilio {Operation} about {Subject} got no answer: {Reason}")]
    private static partial void LogNoAnswer(ILogger logger, string operation, string subject, string reason);
}
