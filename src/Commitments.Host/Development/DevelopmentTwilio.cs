using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Commitments.Host.Development;

/// <summary>
/// With no Twilio account in Development, runs tools/Commitments.LocalTwilio on a free loopback port with its test
/// credentials and routes its inbound texts here; /dev/texts shows the conversations.
/// </summary>
internal sealed partial class DevelopmentTwilio(DevelopmentTwilio.Settings settings, ILogger<DevelopmentTwilio> logger)
    : DevelopmentProcess
{
    // The local Twilio's defaults (its LocalTwilioOptions); they only ever work against it.
    private const string AccountSid = "AC10ca1000000000000000000000000000";
    private const string AuthToken = "10ca17a11ce5ec2e7000000000000000";
    private const string ApiKeySid = "SK10ca1000000000000000000000000000";
    private const string ApiKeySecret = "local-twilio-api-key-secret-0001";
    public const string OurNumber = "+12025550100";

    public sealed record Settings(Uri BaseUrl, int Port, string PublicBaseUrl);

    public static void Configure(IHostApplicationBuilder builder)
    {
        var port = FreePort();
        var publicBaseUrl = (builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? "http://127.0.0.1:5080")
            .Split(';', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal))
            ?? "http://127.0.0.1:5080";
        publicBaseUrl = publicBaseUrl
            .Replace("://+", "://127.0.0.1").Replace("://*", "://127.0.0.1").Replace("://0.0.0.0", "://127.0.0.1").TrimEnd('/');
        var baseUrl = new Uri($"http://127.0.0.1:{port}");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Twilio:AccountSid"] = AccountSid,
            ["Twilio:ApiKeySid"] = ApiKeySid,
            ["Twilio:ApiKeySecret"] = ApiKeySecret,
            ["Twilio:AuthToken"] = AuthToken,
            ["Twilio:From"] = OurNumber,
            ["Twilio:BaseUrl"] = baseUrl.ToString(),
            ["Twilio:PublicBaseUrl"] = builder.Configuration["Twilio:PublicBaseUrl"] ?? publicBaseUrl,
            ["Twilio:MessagesPerSecond"] = builder.Configuration["Twilio:MessagesPerSecond"] ?? "10",
        });
        builder.Services.AddSingleton(new Settings(baseUrl, port, builder.Configuration["Twilio:PublicBaseUrl"]!));
        builder.Services.AddHostedService<DevelopmentTwilio>();
    }

    public override async Task StartingAsync(CancellationToken cancellationToken)
    {
        var dll = FindLocalTwilio()
            ?? throw new InvalidOperationException(
                "No Twilio account is configured and the local Twilio was not found (tools/Commitments.LocalTwilio). " +
                "Build the solution, or set Twilio:AccountSid and the other Twilio settings to use real Twilio.");
        var start = new ProcessStartInfo("dotnet");
        foreach (var arg in new[]
        {
            dll, "--urls", settings.BaseUrl.ToString().TrimEnd('/'),
            "--LocalTwilio:PhoneNumbers:0:Number", OurNumber,
            "--LocalTwilio:PhoneNumbers:0:SmsUrl", settings.PublicBaseUrl.TrimEnd('/') + Texts.TwilioWebhooks.InboundPath,
        })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Launch(start);

        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(settings.BaseUrl, cancellationToken);
                break;
            }
            catch (HttpRequestException) when (deadline.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                // Polls the port: the process prints nothing to wait on.
                await Task.Delay(100, cancellationToken);
            }
        }

        LogStarted(logger, settings.BaseUrl);
    }

    private static string? FindLocalTwilio()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "tools", "Commitments.LocalTwilio", "bin");
            if (Directory.Exists(bin))
            {
                return Directory.EnumerateFiles(bin, "Commitments.LocalTwilio.dll", SearchOption.AllDirectories)
                    .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}ref{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    .OrderByDescending(File.GetLastWriteTimeUtc)
                    .FirstOrDefault();
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "No Twilio account configured: texts go to the local Twilio at {Url}; see them at /dev/texts")]
    private static partial void LogStarted(ILogger logger, Uri url);
}
