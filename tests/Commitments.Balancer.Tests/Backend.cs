using System.Collections.Concurrent;
using Commitments.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Commitments.Balancer.Tests;

/// <summary>
/// A tiny real host on a loopback port: answers /health/ready (200, or 503 once <see cref="Ready"/> is false),
/// says who it is on /whoami, echoes a POST body on /echo, and drops the connection on /drop after reading the
/// request, like a host that dies mid-request.
/// </summary>
internal sealed class Backend : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string> _requests = new();
    private volatile bool _ready = true;
    private bool _stopped;

    private Backend(string name, WebApplication app, Uri url)
    {
        Name = name;
        _app = app;
        Url = url;
    }

    public string Name { get; }

    /// <summary>The base URL the balancer lists; without the trailing slash, its destination id there.</summary>
    public Uri Url { get; }

    public string DestinationId => Url.ToString().TrimEnd('/');

    /// <summary>What /health/ready says: 200 while true, 503 once false. Read by the server's threads.</summary>
    public bool Ready
    {
        get => _ready;
        set => _ready = value;
    }

    public string? LastForwardedFor { get; private set; }

    public string? LastForwardedHost { get; private set; }

    /// <summary>Requests other than health probes, as "METHOD path", oldest first.</summary>
    public IReadOnlyCollection<string> Requests => _requests;

    public static async Task<Backend> StartAsync(string name)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = AzuriteFixture.GetFreeTcpPort();
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            var app = builder.Build();
            var backend = new Backend(name, app, new Uri($"http://127.0.0.1:{port}"));
            backend.Map();
            try
            {
                await app.StartAsync();
                return backend;
            }
            catch (IOException) when (attempt < 5)
            {
                // Another process took the port between the check and the bind.
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>Closes the port: connections to it are refused from now on.</summary>
    public async Task StopAsync()
    {
        _stopped = true;
        await _app.StopAsync();
    }

    public void ForgetRequests() => _requests.Clear();

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await _app.StopAsync();
        }
        await _app.DisposeAsync();
    }

    private void Map()
    {
        _app.MapGet("/health/ready", () => Ready ? Results.Ok("ready") : Results.StatusCode(StatusCodes.Status503ServiceUnavailable));
        _app.Use((context, next) =>
        {
            if (context.Request.Path != "/health/ready")
            {
                _requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
                LastForwardedFor = context.Request.Headers["X-Forwarded-For"];
                LastForwardedHost = context.Request.Headers["X-Forwarded-Host"];
            }
            return next(context);
        });
        _app.MapGet("/whoami", () => Name);
        _app.MapPost("/echo", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            return TypedResults.Ok(new Echo(Name, request.ContentType, await reader.ReadToEndAsync()));
        });
        _app.MapPost("/drop", async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            await reader.ReadToEndAsync();
            context.Abort();
        });
    }
}

internal sealed record Echo(string Backend, string? ContentType, string Body);

