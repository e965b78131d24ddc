using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Commitments.Azurite;
using Xunit;

namespace Commitments.Testing;

/// <summary>
/// A real Azurite table service for tests, on a free loopback port with its own data folder; use it as a
/// class or collection fixture and give each test its own table (<see cref="NewTableName"/>).
/// </summary>
/// <remarks>Azurite is started by the same launcher as the host's development default (<see cref="AzuriteProcess"/>).</remarks>
public sealed class AzuriteFixture : IAsyncLifetime
{
    /// <summary>Azurite's well-known development account.</summary>
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's well-known development account key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";


    // Retry pauses while waiting on the OS (a port being released, a file lock, a folder delete), not on a test's events.
    private static readonly TimeSpan PortRetryPause = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan DeleteRetryPause = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan PortReuseTimeout = TimeSpan.FromSeconds(5);
    private const string FolderPrefix = "commitments-azurite-";
    private const string OwnerFile = "owner.pid";

    private readonly string _rootDirectory = Path.Combine(Path.GetTempPath(), $"{FolderPrefix}{Guid.NewGuid():N}");
    private AzuriteInstall? _install;
    private AzuriteProcess? _azurite;
    private string _lastOutput = "";
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
    public string RecentOutput => _azurite?.RecentOutput ?? _lastOutput;

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
        _install = AzuriteInstall.Find(AppContext.BaseDirectory)
            ?? throw new InvalidOperationException($"No infra/azurite above {AppContext.BaseDirectory}; the Azurite fixture needs the repository.");
        await _install.EnsureInstalledAsync();

        await DeleteFoldersOfDeadRunsAsync();
        Directory.CreateDirectory(DataDirectory);
        await File.WriteAllTextAsync(Path.Combine(_rootDirectory, OwnerFile), Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
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
        var azurite = _azurite ?? throw new InvalidOperationException("Azurite is not running.");
        if (SendSignal(azurite.ProcessId, signal) != 0)
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
        if (_azurite is { } azurite)
        {
            _azurite = null;
            await azurite.DisposeAsync();
        }

        await DeleteDirectoryAsync(_rootDirectory);
    }

    private async Task StartAsync()
    {
        // Extra node options for diagnosing Azurite itself (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"); node refuses those in NODE_OPTIONS.
        var nodeOptions = (Environment.GetEnvironmentVariable("COMMITMENTS_AZURITE_NODE_ARGS") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        try
        {
            _azurite = await AzuriteProcess.StartAsync(_install!, new AzuriteOptions
            {
                TableOnly = true,
                TablePort = _port,
                Location = InMemory ? null : DataDirectory,
                NodeOptions = nodeOptions,
            });
        }
        catch (AzuriteStartException exception)
        {
            _lastOutput = exception.Message;
            throw;
        }
    }

    private async Task StopGracefullyAsync()
    {
        if (_azurite is { } azurite)
        {
            _azurite = null;
            await azurite.StopAsync();
            _lastOutput = azurite.RecentOutput;
            await azurite.DisposeAsync();
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) => _azurite?.Kill();

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
}
