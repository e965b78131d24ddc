using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commitments.Azurite;

/// <summary>How to run Azurite.</summary>
public sealed record AzuriteOptions
{
    /// <summary>The table service alone, or blob, queue and table (on their standard ports unless <see cref="TablePort"/> is set).</summary>
    public bool TableOnly { get; init; }

    /// <summary>The table service's port on 127.0.0.1; null keeps Azurite's default (10002).</summary>
    public int? TablePort { get; init; }

    /// <summary>Where Azurite keeps its data; null keeps it in memory only (nothing survives a restart).</summary>
    public string? Location { get; init; }

    /// <summary>Extra options for node itself (e.g. a CPU profile when diagnosing Azurite).</summary>
    public IReadOnlyList<string> NodeOptions { get; init; } = [];

    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);
}

/// <summary>
/// One running Azurite, inside a small Node host script that stops it — saving its data — when asked,
/// when this process closes its end of stdin, or when this process is gone: no emulator outlives its starter.
/// </summary>
public sealed class AzuriteProcess : IAsyncDisposable
{
    // The table service alone says "successfully started"; all services say "is successfully listening".
    private static readonly string[] StartedMarkers = ["Table service successfully started", "Table service is successfully listening"];
    private const int MaxOutputLines = 200;
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly Queue<string> _output = new();

    private AzuriteProcess(Process process) => _process = process;

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The last lines Azurite wrote, for diagnosing a failure.</summary>
    public string RecentOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Starts Azurite and returns once it says it listens; <see cref="AzuriteStartException"/> says why not.</summary>
    public static async Task<AzuriteProcess> StartAsync(AzuriteInstall install, AzuriteOptions options, CancellationToken cancellationToken = default)
    {
        await install.EnsureInstalledAsync(cancellationToken);
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = options.Location ?? install.Folder,
        };
        foreach (var option in options.NodeOptions)
        {
            start.ArgumentList.Add(option);
        }

        List<string> arguments =
        [
            HostScriptPath(), Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
            options.TableOnly ? install.TableMain : install.AllServicesMain,
            "--tableHost", "127.0.0.1", "--skipApiVersionCheck", "--disableProductStyleUrl", "--disableTelemetry", "--silent",
        ];
        if (!options.TableOnly)
        {
            arguments.AddRange(["--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1"]);
        }

        if (options.TablePort is { } port)
        {
            arguments.AddRange(["--tablePort", port.ToString(CultureInfo.InvariantCulture)]);
        }

        arguments.AddRange(options.Location is { } location ? ["--location", location] : ["--inMemoryPersistence"]);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var azurite = new AzuriteProcess(process);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                azurite.Remember(e.Data);
                if (StartedMarkers.Any(marker => e.Data.Contains(marker, StringComparison.Ordinal)))
                {
                    started.TrySetResult();
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                azurite.Remember(e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            if (!started.Task.IsCompleted)
            {
                // Let the output readers drain, so the error says why Azurite stopped.
                process.WaitForExit();
                started.TrySetException(new AzuriteStartException(
                    $"Azurite exited with code {ExitCode(process)} before it started on port {options.TablePort ?? 10002}.", azurite.RecentOutput));
            }
        };

        try
        {
            if (!process.Start())
            {
                throw new InvalidOperationException("Could not start node for Azurite.");
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("Node.js is missing: install Node 20 to run Azurite.", ex);
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(options.StartTimeout, cancellationToken);
            return azurite;
        }
        catch (TimeoutException)
        {
            await azurite.DisposeAsync();
            throw new AzuriteStartException($"Azurite did not start on port {options.TablePort ?? 10002} within {options.StartTimeout.TotalSeconds} seconds.", azurite.RecentOutput);
        }
        catch (Exception)
        {
            await azurite.DisposeAsync();
            throw;
        }
    }

    /// <summary>Stops Azurite as a deployment would (it saves its data); kills it if it does not stop in time.</summary>
    public async Task StopAsync()
    {
        try
        {
            // The host script hands this to Azurite as SIGINT, which saves the data and closes the server.
            await _process.StandardInput.WriteLineAsync("stop");
            await _process.StandardInput.FlushAsync();
            await _process.WaitForExitAsync().WaitAsync(StopTimeout);
        }
        catch (Exception exception) when (exception is TimeoutException or IOException or InvalidOperationException)
        {
            Kill(_process);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Kills Azurite at once (nothing saved since its last save).</summary>
    public void Kill() => Kill(_process);

    public async ValueTask DisposeAsync()
    {
        Kill(_process);
        try
        {
            await _process.WaitForExitAsync().WaitAsync(StopTimeout);
        }
        catch (Exception exception) when (exception is TimeoutException or InvalidOperationException)
        {
            // Nothing more to do.
        }

        _process.Dispose();
    }

    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception exception) when (exception is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }

    private void Remember(string line)
    {
        lock (_output)
        {
            _output.Enqueue(line);
            while (_output.Count > MaxOutputLines)
            {
                _output.Dequeue();
            }
        }
    }

    private static string ExitCode(Process process)
    {
        try
        {
            return process.ExitCode.ToString(CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "unknown";
        }
    }

    // Written once per version of the script, beside the other temp files; the name changes when the script does.
    private static string HostScriptPath()
    {
        var version = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(HostScript)))[..12];
        var path = Path.Combine(Path.GetTempPath(), $"commitments-azurite-host-{version}.js");
        if (!File.Exists(path))
        {
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllText(temporary, HostScript);
            File.Move(temporary, path, overwrite: true);
        }

        return path;
    }

    // Runs Azurite in this Node process and stops it, saving its data (every service closed), when asked on
    // stdin, when stdin closes (the starting process is gone) or when the starting process id no longer exists.
    private const string HostScript = """
        "use strict";
        const [parentPid, main, ...args] = process.argv.slice(2);
        process.argv = [process.argv[0], main, ...args];
        const services = main.endsWith("azurite.js") ? 3 : 1;
        let stopping = false;
        let closed = 0;
        function stop() {
          if (stopping) { return; }
          stopping = true;
          if (process.listenerCount("SIGINT") === 0) { process.exit(0); }
          process.emit("SIGINT");
          setTimeout(() => process.exit(0), 10000).unref();
        }
        const log = console.log;
        console.log = (...values) => {
          log(...values);
          if (stopping && String(values[0]).includes("successfully closed") && ++closed >= services) { process.exit(0); }
        };
        process.stdin.on("data", data => { if (String(data).includes("stop")) { stop(); } });
        process.stdin.on("end", stop);
        process.stdin.on("error", stop);
        setInterval(() => {
          try { process.kill(Number(parentPid), 0); }
          catch (error) { if (error.code === "ESRCH") { stop(); } }
        }, 1000).unref();
        require(main);
        """;
}

/// <summary>Azurite did not start; the message carries its recent output.</summary>
public sealed class AzuriteStartException(string message, string output)
    : Exception($"{message}{Environment.NewLine}Azurite output:{Environment.NewLine}{output}")
{
    /// <summary>True when Azurite could not bind its port because something else holds it.</summary>
    public bool PortInUse { get; } = output.Contains("EADDRINUSE", StringComparison.Ordinal);
}
