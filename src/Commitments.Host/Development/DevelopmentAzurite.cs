using System.Diagnostics;
using System.Net.Sockets;

namespace Commitments.Host.Development;

/// <summary>
/// The embedded development default: with UseDevelopmentStorage=true, make sure Azurite answers on
/// its standard ports. If nothing does, install the pinned Azurite (npm ci in infra/azurite), start
/// it with its data under the repo's git-ignored .azurite folder, and stop it on shutdown.
/// </summary>
internal sealed partial class DevelopmentAzurite(IHostEnvironment environment, ILogger<DevelopmentAzurite> logger) : DevelopmentProcess
{
    public const int BlobPort = 10000;
    public const int QueuePort = 10001;
    public const int TablePort = 10002;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    public static bool IsDevelopmentStorage(string? connectionString) =>
        connectionString is not null
        && connectionString.Replace(" ", "", StringComparison.Ordinal)
            .Contains("UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase);

    // Runs before any hosted service starts, so the silo finds storage ready.
    public override async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (await AnswersAsync(TablePort, cancellationToken))
        {
            LogAlreadyRunning(logger, TablePort);
            return;
        }

        var infra = FindInfraFolder()
            ?? throw new InvalidOperationException(
                "Storage is UseDevelopmentStorage=true but nothing answers on 127.0.0.1:10002, and infra/azurite " +
                "was not found to start Azurite from. Start Azurite yourself (npx azurite@3.37.0 --skipApiVersionCheck) " +
                "or run `docker compose up azurite`, or set ConnectionStrings:Storage.");
        var node = FindOnPath("node")
            ?? throw new InvalidOperationException(
                "Storage is UseDevelopmentStorage=true but nothing answers on 127.0.0.1:10002, and Node.js is not " +
                "installed to start Azurite. Install Node 20, or start Azurite by hand " +
                "(npm ci --prefix infra/azurite && infra/azurite/node_modules/.bin/azurite --location .azurite), " +
                "or run `docker compose up azurite`.");

        var entry = Path.Combine(infra, "node_modules", "azurite", "dist", "src", "azurite.js");
        if (!File.Exists(entry))
        {
            LogInstalling(logger, infra);
            await RunAsync(FindOnPath("npm") ?? throw new InvalidOperationException("npm is missing; install Node 20 with npm."),
                ["ci", "--no-audit", "--no-fund"], infra, cancellationToken);
        }

        var data = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(infra))!, ".azurite");
        Directory.CreateDirectory(data);
        var start = new ProcessStartInfo(node) { WorkingDirectory = infra };
        foreach (var arg in new[]
        {
            entry, "--location", data, "--silent", "--skipApiVersionCheck",
            "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var stderr = new System.Text.StringBuilder();
        var azurite = Launch(start, line =>
        {
            lock (stderr)
            {
                stderr.AppendLine(line);
            }
        });

        var deadline = Stopwatch.StartNew();
        while (!await AnswersAsync(TablePort, cancellationToken))
        {
            if (azurite.HasExited || deadline.Elapsed > StartTimeout)
            {
                string errors;
                lock (stderr)
                {
                    errors = stderr.ToString();
                }

                throw new InvalidOperationException($"Azurite did not come up on 127.0.0.1:{TablePort}: {errors}");
            }

            // Poll the port: Azurite writes nothing we can wait on when it is silent.
            await Task.Delay(100, cancellationToken);
        }

        LogStarted(logger, data);
    }

    protected override void Stopped() => LogStopped(logger);

    private string? FindInfraFolder()
    {
        foreach (var start in new[] { environment.ContentRootPath, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "infra", "azurite");
                if (File.Exists(Path.Combine(candidate, "package.json")))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program))
            .FirstOrDefault(File.Exists);

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

    private static async Task RunAsync(string program, string[] args, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed in {directory}: {await stderr}{await stdout}");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Azurite already answers on 127.0.0.1:{Port}; using it")]
    private static partial void LogAlreadyRunning(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Information, Message = "Installing the pinned Azurite in {Folder} (npm ci)")]
    private static partial void LogInstalling(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started Azurite for development; data in {Folder}")]
    private static partial void LogStarted(ILogger logger, string folder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopped the development Azurite")]
    private static partial void LogStopped(ILogger logger);
}
