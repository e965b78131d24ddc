using Commitments.LocalTwilio.Messages;
using Commitments.LocalTwilio.Signing;

namespace Commitments.LocalTwilio.Delivery;

/// <summary>What the app answered to a webhook; Status is null when nothing answered (Error says why).</summary>
internal sealed record WebhookResult(int? Status, string? ContentType, string Body, string? Error);

/// <summary>Posts signed forms the way Twilio does: exact URL, X-Twilio-Signature, no redirects, 15 s.</summary>
internal sealed class WebhookClient(IHttpClientFactory clients, MessageStore store)
{
    public const string ClientName = "LocalTwilio.Webhooks";
    private const int MaxBodyKept = 8192;

    public async Task<WebhookResult> PostAsync(string url, IReadOnlyList<KeyValuePair<string, string>> form, string idempotencyToken, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new FormUrlEncodedContent(form) };
        // Signed over the URL exactly as configured, query included (spec §4).
        request.Headers.TryAddWithoutValidation(TwilioSignature.Header, TwilioSignature.Compute(store.Options.AuthToken, url, form));
        request.Headers.TryAddWithoutValidation("I-Twilio-Idempotency-Token", idempotencyToken);
        request.Headers.TryAddWithoutValidation("User-Agent", "TwilioProxy/1.1");
        try
        {
            using var response = await clients.CreateClient(ClientName).SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            return new WebhookResult(
                (int)response.StatusCode,
                response.Content.Headers.ContentType?.ToString(),
                body.Length > MaxBodyKept ? body[..MaxBodyKept] : body,
                null);
        }
        catch (HttpRequestException e)
        {
            return new WebhookResult(null, null, "", $"connection failed: {e.Message}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new WebhookResult(null, null, "", "timed out after 15 s");
        }
    }
}
