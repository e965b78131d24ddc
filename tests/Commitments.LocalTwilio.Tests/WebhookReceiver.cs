using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commitments.LocalTwilio.Tests;

/// <summary>A webhook as the app received it: the exact URL called, the signature header and the form.</summary>
internal sealed record ReceivedWebhook(string Url, string? Signature, string? IdempotencyToken, IReadOnlyList<KeyValuePair<string, string>> Form)
{
    public string this[string name] => Form.Single(p => p.Key == name).Value;

    public bool Has(string name) => Form.Any(p => p.Key == name);
}

/// <summary>A tiny app on its own loopback port standing in for ours: records webhooks, answers as told.</summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly Channel<ReceivedWebhook> _received = Channel.CreateUnbounded<ReceivedWebhook>();
    private WebApplication? _app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>How the receiver answers; 200 with an empty body unless a test says otherwise.</summary>
    public Func<HttpContext, Task> Answer { get; set; } = _ => Task.CompletedTask;

    public int Pending => _received.Reader.Count;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var receiver = new WebhookReceiver();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(async context =>
        {
            var form = await context.Request.ReadFormAsync();
            // The exact URL called: what Twilio signs (spec §4).
            var url = $"http://{context.Request.Host}{context.Features.Get<IHttpRequestFeature>()!.RawTarget}";
            receiver._received.Writer.TryWrite(new ReceivedWebhook(
                url,
                context.Request.Headers["X-Twilio-Signature"].ToString(),
                context.Request.Headers["I-Twilio-Idempotency-Token"].ToString(),
                [.. form.SelectMany(f => f.Value.Select(v => new KeyValuePair<string, string>(f.Key, v ?? "")))]));
            await receiver.Answer(context);
        });
        await app.StartAsync();
        receiver._app = app;
        receiver.BaseUrl = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return receiver;
    }

    /// <summary>An absolute URL on this receiver, kept exactly as written (no unescaping).</summary>
    public string Url(string pathAndQuery) => BaseUrl.GetLeftPart(UriPartial.Authority) + pathAndQuery;

    /// <summary>The next <paramref name="count"/> webhooks in arrival order; fails after 5 s.</summary>
    public async Task<IReadOnlyList<ReceivedWebhook>> TakeAsync(int count)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var taken = new List<ReceivedWebhook>();
        try
        {
            while (taken.Count < count)
            {
                taken.Add(await _received.Reader.ReadAsync(deadline.Token));
            }
        }
        catch (OperationCanceledException)
        {
            throw new ShouldAssertException($"Expected {count} webhooks, got {taken.Count}: {string.Join(", ", taken.Select(t => t.Form.FirstOrDefault(p => p.Key == "MessageStatus").Value))}");
        }
        return taken;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
