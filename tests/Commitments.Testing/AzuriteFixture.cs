using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Commitments.Testing;

/// <summary>
/// A real Azurite table service for tests, on a free loopback port with its own data folder; use it as a
/// class or collection fixture and give each test its own table (<see cref="NewTableName"/>).
/// </summary>
/// <remarks>
/// Azurite comes from <c>infra/azurite</c> (installed with <c>npm ci</c> on first use). It runs inside a
/// small Node host script that shuts it down when this test process exits or dies, so no emulator outlives
/// the test run.
/// </remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    // Retry pauses while waiting on the OS (a port being released, a file lock, a folder delete), not on a test's events.
    private static readonly TimeSpan PortRetryPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DeleteRetryPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LockRetryPause = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan PortReuseTimeout = TimeSpan.FromSeconds(5);
    private const string StartedMarker = "successfully started";
    private const int MaxOutputLines = 200;
    private const string FolderPrefix = "commitments-azurite-";
    private const string OwnerFile = "owner.pid";

    private readonly string _rootDirectory = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Guid.NewGuid():N}");
    private readonly Queue<string> _output = new();
    private Process? _process;
    private string? _hostScript;
    private string? _tableMain;
    private int _port;

    /// <summary>
    /// Keep the data in memory only (Azurite's --inMemoryPersistence): nothing survives a restart of
    /// Azurite, and Azurite no longer re-saves its whole database to disk every 5 s, which on a large
    /// table takes its single thread for a while. For benchmarks; tests keep the default.
    /// </summary>
    public bool InMemory { get; init; }

    /// <summary>The loopback port the table service listens on; <see cref="RestartAsync"/> keeps it (see there).</summary>
    public int TablePort => _port;

    /// <summary>The table endpoint, path style.</summary>
    public string TableEndpoint => $"http://127.0.0.1:{_port}/{AccountName}";

    /// <summary>A connection string for the table service.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};TableEndpoint={TableEndpoint};";

    /// <summary>Where Azurite keeps its data; deleted on dispose.</summary>
    public string DataDirectory => Path.Combine(_rootDirectory, "data");

    /// <summary>The last lines Azurite wrote to stdout and stderr, for diagnosing a failed test.</summary>
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

    /// <summary>A table name no other test uses (tables must start with a letter and be alphanumeric).</summary>
    public string NewTableName(string prefix = "t")
    {
        var kept = new string([.. prefix.Where(char.IsAsciiLetterOrDigit).Take(30)]);
        var start = kept.Length > 0 && char.IsAsciiLetter(kept[0]) ? kept : "t" + kept;
        return start + Guid.NewGuid().ToString("N");
    }

    /// <summary>
    /// A TCP port on 127.0.0.1 that was free a moment ago, below the OS's ephemeral range where it can: a port
    /// from that range (what binding port 0 returns) can be taken by any outgoing connection of the test run
    /// in the moment between this check and the server's bind; a port below it only by another listener.
    /// </summary>
    public static int GetFreeTcpPort()
    {
        var (low, high) = ListenRange.Value;
        for (var attempt = 0; attempt < 50 && high > low; attempt++)
        {
            var port = Random.Shared.Next(low, high);
            if (TryListen(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // Ports a test server may listen on: from 20000 up to where the OS starts handing out ports to outgoing
    // connections (Linux: /proc/sys/net/ipv4/ip_local_port_range; elsewhere none, so port 0 is used).
    private static readonly Lazy<(int Low, int High)> ListenRange = new(() =>
    {
        const string Range = "/proc/sys/net/ipv4/ip_local_port_range";
        if (!File.Exists(Range))
        {
            return (0, 0);
        }

        var parts = File.ReadAllText(Range).Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length > 0 && int.TryParse(parts[0], CultureInfo.InvariantCulture, out var ephemeralLow) && ephemeralLow > 21000
            ? (20000, ephemeralLow)
            : (0, 0);
    });

    private static bool TryListen(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask InitializeAsync()
    {
        var azuriteDirectory = Path.Combine(FindRepositoryRoot(), "infra", "azurite");
        var tableMain = Path.Combine(azuriteDirectory, "node_modules", "azurite", "dist", "src", "table", "main.js");
        await EnsureInstalledAsync(azuriteDirectory, tableMain);

        await DeleteFoldersOfDeadRunsAsync();
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_rootDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        _tableMain = tableMain;
        _hostScript = Path.Combine(_rootDirectory, "azurite-host.js");
        await File.WriteAllTextAsync(_hostScript, HostScript);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;

        // Another process can take the free port before Azurite binds it; then try another one.
        for (var attempt = 1; ; attempt++)
        {
            _port = GetFreeTcpPort();
            try
            {
                await StartAsync();
                return;
            }
            catch (AzuriteStartException exception) when (exception.PortInUse && attempt < 5)
            {
            }
        }
    }

    /// <summary>
    /// Stops Azurite the way a deployment would (it saves its data) and starts it again on the same port and
    /// data folder, for tests that prove state survives a restart.
    /// </summary>
    /// <remarks>
    /// While Azurite is down another process may bind its port. Then the start is retried for a few seconds,
    /// and if the port stays taken Azurite moves to a new one, so read <see cref="ConnectionString"/> again
    /// after a restart rather than keeping an old copy.
    /// </remarks>
    public async Task RestartAsync()
    {
        await StopGracefullyAsync();
        await StartAgainAsync();
    }

    /// <summary>Stops Azurite for a while (it saves its data); <see cref="StartAgainAsync"/> brings it back.</summary>
    public Task StopForNowAsync() => StopGracefullyAsync();

    /// <summary>Freezes Azurite (SIGSTOP): connections stay open and nothing answers, as when a storage endpoint hangs.</summary>
    public void Freeze() => Signal(SigStop);

    /// <summary>Lets a frozen Azurite go on (SIGCONT).</summary>
    public void Thaw() => Signal(SigCont);

    private const int SigStop = 19;
    private const int SigCont = 18;

    private void Signal(int signal)
    {
        var process = _process ?? throw new InvalidOperationException("Azurite is not running.");
        if (SendSignal(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"Could not signal Azurite ({signal}): error {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}.");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int SendSignal(int pid, int signal);

    /// <summary>Starts a stopped Azurite again on its port and data folder (see <see cref="RestartAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        var stopped = TimeProvider.System.GetTimestamp();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartAsync();
                return;
            }
            catch (AzuriteStartException exception) when (exception.PortInUse && attempt < 50)
            {
                if (TimeProvider.System.GetElapsedTime(stopped) < PortReuseTimeout)
                {
                    await Task.Delay(PortRetryPause);
                }
                else
                {
                    _port = GetFreeTcpPort();
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        if (_process is { } process)
        {
            Kill(process);
            try
            {
                await process.WaitForExitAsync().WaitAsync(StopTimeout);
            }
            catch (TimeoutException)
            {
                // Nothing more to do; the folder below may then stay behind in the temp directory.
            }

            process.Dispose();
            _process = null;
        }

        await DeleteDirectoryAsync(_rootDirectory);
    }

    private async Task StartAsync()
    {
        var startInfo = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _rootDirectory,
        };
        // Extra node options for diagnosing Azurite itself (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); node refuses those in NODE_OPTIONS.
        foreach (var option in (Environment.GetEnvironmentVariable("COMMITMENTS_AZURITE_NODE_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            startInfo.ArgumentList.Add(option);
        }

        foreach (var argument in (string[])
        [
            _hostScript!, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), _tableMain!,
            "--tableHost", "127.0.0.1",
            "--tablePort", _port.ToString(CultureInfo.InvariantCulture),
            "--skipApiVersionCheck",
            "--disableProductStyleUrl",
            "--disableTelemetry",
            "--silent",
        ])
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var argument in InMemory ? ["--inMemoryPersistence"] : new[] { "--location", DataDirectory })
        {
            startInfo.ArgumentList.Add(argument);
        }

        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            Remember(e.Data);
            if (e.Data.Contains(StartedMarker, StringComparison.Ordinal))
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Remember(e.Data);
            }
        };
        process.Exited += (_, _) =>
        {
            if (started.Task.IsCompleted)
            {
                return;
            }

            // Let the output readers drain, so the error says why Azurite stopped.
            process.WaitForExit();
            started.TrySetException(new AzuriteStartException(
                $"Azurite exited with code {SafeExitCode(process)} before it started on port {_port}.", RecentOutput));
        };

        lock (_output)
        {
            _output.Clear();
        }

        if (!process.Start())
        {
            throw new InvalidOperationException("Could not start node for Azurite.");
        }

        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            await started.Task.WaitAsync(StartTimeout);
        }
        catch (TimeoutException)
        {
            Kill(process);
            throw new AzuriteStartException($"Azurite did not start on port {_port} within {StartTimeout.TotalSeconds} seconds.", RecentOutput);
        }
        catch (AzuriteStartException)
        {
            _process = null;
            process.Dispose();
            throw;
        }
    }

    private async Task StopGracefullyAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        try
        {
            // The host script hands this to Azurite as SIGINT, which saves the data and closes the server.
            await process.StandardInput.WriteLineAsync("stop");
            await process.StandardInput.FlushAsync();
            await process.WaitForExitAsync().WaitAsync(StopTimeout);
        }
        catch (Exception exception) when (exception is TimeoutException or IOException)
        {
            Kill(process);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        _process = null;
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

    private void OnProcessExit(object? sender, EventArgs e)
    {
        if (_process is { } process)
        {
            Kill(process);
        }
    }

    private static void Kill(Process process)
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

    private static string SafeExitCode(Process process)
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

    private static async Task DeleteDirectoryAsync(string path)
    {
        // Files can stay locked for a moment after the process is gone (notably on Windows).
        for (var attempt = 1; Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception exception) when ((exception is IOException or UnauthorizedAccessException) && attempt < 10)
            {
                await Task.Delay(DeleteRetryPause * attempt);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    // A test process that was killed could not delete its folder; the next run does.
    private static async Task DeleteFoldersOfDeadRunsAsync()
    {
        foreach (var folder in Directory.EnumerateDirectories(Path.GetTempPath(), FolderPrefix + "*"))
        {
            var ownerFile = Path.Combine(folder, OwnerFile);
            if (File.Exists(ownerFile)
                && int.TryParse(File.ReadAllText(ownerFile), NumberStyles.None, CultureInfo.InvariantCulture, out var owner)
                && !IsRunning(owner))
            {
                await DeleteDirectoryAsync(folder);
            }
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Commitments.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No Commitments.sln above {AppContext.BaseDirectory}; the Azurite fixture needs the repository.");
    }

    private static async Task EnsureInstalledAsync(string azuriteDirectory, string tableMain)
    {
        if (File.Exists(tableMain))
        {
            return;
        }

        // Test assemblies run in parallel processes; only one of them may run npm ci in the same folder.
        var lockPath = Path.Combine(Path.GetTempPath(), "commitments-azurite-npm-ci.lock");
        var waitingSince = TimeProvider.System.GetTimestamp();
        FileStream? lockFile = null;
        while (lockFile is null)
        {
            try
            {
                lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            }
            catch (IOException) when (TimeProvider.System.GetElapsedTime(waitingSince) < InstallTimeout)
            {
                await Task.Delay(LockRetryPause);
            }
        }

        await using (lockFile)
        {
            if (File.Exists(tableMain))
            {
                return;
            }

            var npm = OperatingSystem.IsWindows()
                ? new ProcessStartInfo("cmd.exe", "/c npm ci --no-audit --no-fund")
                : new ProcessStartInfo("npm", "ci --no-audit --no-fund");
            npm.WorkingDirectory = azuriteDirectory;
            npm.RedirectStandardOutput = true;
            npm.RedirectStandardError = true;
            npm.UseShellExecute = false;

            using var process = Process.Start(npm) ?? throw new InvalidOperationException("Could not start npm.");
            var output = new StringBuilder();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            try
            {
                await process.WaitForExitAsync().WaitAsync(InstallTimeout);
            }
            catch (TimeoutException)
            {
                Kill(process);
                throw new InvalidOperationException($"npm ci in {azuriteDirectory} did not finish within {InstallTimeout.TotalMinutes} minutes.");
            }

            output.Append(await stdout).Append(await stderr);
            if (process.ExitCode != 0 || !File.Exists(tableMain))
            {
                throw new InvalidOperationException($"npm ci in {azuriteDirectory} failed with exit code {process.ExitCode}:{Environment.NewLine}{output}");
            }
        }
    }

    // Runs Azurite's table service in this Node process and stops it, saving its data, when asked on stdin,
    // when stdin closes (the test process is gone) or when the test process id no longer exists.
    private const string HostScript = """
        "use strict";
        const [parentPid, main, ...args] = process.argv.slice(2);
        process.argv = [process.argv[0], main, ...args];
        let stopping = false;
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
          if (stopping && String(values[0]).includes("successfully closed")) { process.exit(0); }
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
