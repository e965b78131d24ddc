using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Net;
using Commitments.Balancer.Hosting;
using Commitments.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;
using Yarp.ReverseProxy;

namespace Commitments.Balancer.Tests;

/// <summary>
/// The real balancer (built from the program's own extension methods) on a loopback port, in front of a few
/// <see cref="Backend"/>s, with the balancer's log lines kept for assertions.
/// </summary>
internal sealed class BalancerHarness : IAsyncDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan PollPause = TimeSpan.FromMilliseconds(25);

    private readonly WebApplication _app;

    private BalancerHarness(WebApplication app, Uri url, IReadOnlyList<Backend> backends, BalancerOptions options, LogSink logs)
    {
        _app = app;
        Url = url;
        Backends = backends;
        Options = options;
        Logs = logs;
    }

    public Uri Url { get; }

    public IReadOnlyList<Backend> Backends { get; }

    public BalancerOptions Options { get; }

    public LogSink Logs { get; }

    /// <summary>
    /// Starts <paramref name="backends"/> hosts and the balancer. Probes run every <paramref name="healthInterval"/>;
    /// the default (a minute) means only the first probe, at start, runs during a test.
    /// </summary>
    public static async Task<BalancerHarness> StartAsync(int backends = 3, TimeSpan? healthInterval = null)
    {
        var hosts = new List<Backend>();
        for (var i = 0; i < backends; i++)
        {
            hosts.Add(await Backend.StartAsync(((char)('a' + i)).ToString()));
        }
        var options = new BalancerOptions
        {
            Hosts = hosts.Select(host => host.Url.ToString()).ToList(),
            HealthCheckInterval = healthInterval ?? TimeSpan.FromMinutes(1),
            HealthCheckTimeout = TimeSpan.FromSeconds(2),
            HealthCheckFailureThreshold = 1,
        };

        for (var attempt = 1; ; attempt++)
        {
            var port = AzuriteFixture.GetFreeTcpPort();
            var logs = new LogSink();
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
            builder.Logging.ClearProviders();
            builder.Logging.SetMinimumLevel(LogLevel.Information);
            builder.Logging.AddProvider(logs);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            builder.AddCommitmentsBalancer(options);
            var app = builder.Build();
            app.MapCommitmentsBalancer();
            try
            {
                await app.StartAsync();
            }
            catch (IOException) when (attempt < 5)
            {
                // Another process took the port between the check and the bind.
                await app.DisposeAsync();
                continue;
            }
            var harness = new BalancerHarness(app, new Uri($"http://127.0.0.1:{port}"), hosts, options, logs);
            // Every host has answered its first probe, so a test starts from a known view.
            await harness.WaitUntilAsync(() => hosts.All(host => harness.ActiveHealth(host) == DestinationHealth.Healthy), "every host is probed healthy");
            return harness;
        }
    }

    /// <summary>A browser: its own cookies (the affinity cookie among them), no connection shared with others.</summary>
    public Browser NewBrowser() => new(Url, Options.AffinityCookieName);

    /// <summary>A browser the load balancer happened to put on <paramref name="backend"/> (new browsers until one lands there).</summary>
    public async Task<Browser> NewBrowserOnAsync(Backend backend)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var browser = NewBrowser();
            if (await browser.WhoAmIAsync() == backend.Name)
            {
                return browser;
            }
            browser.Dispose();
        }
        throw new InvalidOperationException($"A hundred new browsers and none landed on {backend.Name}.");
    }

    public DestinationHealth ActiveHealth(Backend backend) => Destination(backend).Health.Active;

    public DestinationHealth PassiveHealth(Backend backend) => Destination(backend).Health.Passive;

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds, checking it every few milliseconds.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!condition())
        {
            if (waited.Elapsed > WaitLimit)
            {
                throw new TimeoutException($"Waited {WaitLimit.TotalSeconds} s for: {what}.");
            }
            await Task.Delay(PollPause, TestContext.Current.CancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        foreach (var backend in Backends)
        {
            await backend.DisposeAsync();
        }
    }

    private DestinationState Destination(Backend backend)
    {
        var lookup = _app.Services.GetRequiredService<IProxyStateLookup>();
        lookup.TryGetCluster("commitments", out var cluster).ShouldBeTrue();
        return cluster.Destinations[backend.DestinationId];
    }
}

/// <summary>An HTTP client with a cookie jar, as a browser talks to the balancer.</summary>
internal sealed class Browser(Uri balancer, string affinityCookieName) : IDisposable
{
    private readonly CookieContainer _cookies = new();
    private HttpClient? _client;

    private HttpClient Client => _client ??= new HttpClient(new SocketsHttpHandler { CookieContainer = _cookies, UseCookies = true })
    {
        BaseAddress = balancer,
        Timeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>The affinity cookie's value, or null before the first response set it.</summary>
    public string? AffinityCookie => _cookies.GetCookies(balancer).FirstOrDefault(cookie => cookie.Name == affinityCookieName)?.Value;

    /// <summary>Which backend served GET /whoami.</summary>
    public async Task<string> WhoAmIAsync()
    {
        using var response = await Client.GetAsync("/whoami", TestContext.Current.CancellationToken);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
    }

    public Task<HttpResponseMessage> GetAsync(string path) => Client.GetAsync(path, TestContext.Current.CancellationToken);

    public Task<HttpResponseMessage> PostAsync(string path, HttpContent content) =>
        Client.PostAsync(path, content, TestContext.Current.CancellationToken);

    public static Task<Echo?> ReadEchoAsync(HttpResponseMessage response) =>
        response.Content.ReadFromJsonAsync<Echo>(TestContext.Current.CancellationToken);

    public void Dispose() => _client?.Dispose();
}

/// <summary>Keeps every log line the balancer writes, with its category and level.</summary>
internal sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<LogLine> _lines = new();

    public IReadOnlyCollection<LogLine> Lines => _lines;

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<LogLine> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue(new LogLine(category, logLevel, formatter(state, exception)));
    }
}

internal sealed record LogLine(string Category, LogLevel Level, string Message);
