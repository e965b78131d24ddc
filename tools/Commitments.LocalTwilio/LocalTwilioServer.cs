using Commitments.LocalTwilio.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Commitments.LocalTwilio;

/// <summary>The fake running in-process on a real Kestrel loopback port, for tests and a dev host.</summary>
public sealed class LocalTwilioServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LocalTwilioServer(WebApplication app, Uri baseUrl, LocalTwilioOptions options)
    {
        _app = app;
        BaseUrl = baseUrl;
        Options = options;
    }

    /// <summary>Where the fake listens, e.g. http://127.0.0.1:41234: the Twilio client's base URL.</summary>
    public Uri BaseUrl { get; }

    public LocalTwilioOptions Options { get; }

    /// <summary>
    /// The host's "Twilio" settings that point its client at this fake, sending from
    /// <paramref name="from"/> and asking for callbacks at <paramref name="publicBaseUrl"/>.
    /// </summary>
    public Dictionary<string, string?> ClientSettings(string from, string publicBaseUrl) => new()
    {
        ["Twilio:AccountSid"] = Options.AccountSid,
        ["Twilio:ApiKeySid"] = Options.ApiKeySid,
        ["Twilio:ApiKeySecret"] = Options.ApiKeySecret,
        ["Twilio:AuthToken"] = Options.AuthToken,
        ["Twilio:From"] = from,
        ["Twilio:BaseUrl"] = BaseUrl.ToString(),
        ["Twilio:PublicBaseUrl"] = publicBaseUrl,
    };

    /// <summary>Binds http://127.0.0.1:{options.Port}, or a free port when it is 0, and starts serving.</summary>
    public static async Task<LocalTwilioServer> StartAsync(LocalTwilioOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var problems = options.Problems().ToList();
        if (problems.Count > 0)
        {
            throw new ArgumentException("LocalTwilio options are invalid: " + string.Join(" ", problems), nameof(options));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(LocalTwilioServer).Assembly.GetName().Name,
            Args = [],
        });
        // In-process, the options are the whole configuration: no appsettings, environment or URLs leak in.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls($"http://127.0.0.1:{options.Port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddLocalTwilio(options);

        var app = builder.Build();
        app.MapLocalTwilio();
        try
        {
            await app.StartAsync(ct);
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LocalTwilioServer(app, new Uri(address), options);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
