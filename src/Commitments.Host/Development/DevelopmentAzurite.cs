using System.Net.Sockets;
using Commitments.Azurite;

namespace Commitments.Host.Development;

/// <summary>
/// With UseDevelopmentStorage=true and nothing on Azurite's standard ports, starts the pinned Azurite
/// (data in the git-ignored .azurite); first up and last down, so the silo can flush on the way down.
/// </summary>
internal sealed partial class DevelopmentAzurite(IHostEnvironment environment, ILogger<DevelopmentAzurite> logger)
    : IHostedLifecycleService, IAsyncDisposable
{
    public const int TablePort = 10002;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private AzuriteProcess? _azurite;

    public static bool IsDevelopmentStorage(string? connectionString) =>
        connectionString is not null
        && connectionString.Replace(" ", "", StringComparison.Ordinal)
            .Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase);

    // Runs before any hosted service starts, so the silo finds storage ready.
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (await AnswersAsync(TablePort, cancellationToken))
        {
            LogAlreadyRunning(logger, TablePort);
            return;
        }

        var install = AzuriteInstall.Find(environment.ContentRootPath, AppContext.BaseDirectory)
            ?? throw new InvalidOperationException(
                "Storage is UseDevelopmentStorage=true but nothing answers on 127.0.0.1:10002, and infra/azurite " +
                "was not found to start Azurite from. Start Azurite yourself (npx azurite@3.37.0 --skipApiVersionCheck) " +
                "or run `docker compose up azurite`, or set ConnectionStrings:Storage.");
        var data = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(install.Folder))!, ".azurite");
        Directory.CreateDirectory(data);
        LogStarting(logger, install.Folder);
        _azurite = await AzuriteProcess.StartAsync(install, new AzuriteOptions { Location = data, StartTimeout = StartTimeout }, cancellationToken);
        LogStarted(logger, data);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        // Host stop and container disposal can both get here, at once when a stop times out: one of them stops it.
        if (Interlocked.Exchange(ref _azurite, null) is { } azurite)
        {
            await azurite.StopAsync();
            await azurite.DisposeAsync();
            LogStopped(logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _azurite, null) is { } azurite)
        {
            await azurite.DisposeAsync();
        }
    }

    private static async Task<bool> AnswersAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite already answers on 127.0.0.1:{Port}; using it")]
    private static partial void LogAlreadyRunning(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting the pinned Azurite from {Folder} (installed with npm ci on first use)")]
    private static partial void LogStarting(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started Azurite for development; data in {Folder}")]
    private static partial void LogStarted(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped the development Azurite")]
    private static partial void LogStopped(ILogger logger);
}
