using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Commitments.Testing;

/// <summary>
/// A real Redis server for tests (Debian's <c>redis-server</c>, which <c>.ci/run</c> installs), on a
/// free loopback port, keeping nothing on disk. It runs under a small shell watcher that stops it
/// when this test process exits or dies, so no server outlives the test run.
/// </summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);
    // Waiting on the OS (a server binding its port), not on a test's events.
    private static readonly TimeSpan ReadyPollPause = TimeSpan.FromMilliseconds(50);
    private readonly StringBuilder _output = new();
    private Process? _process;

    /// <summary>The loopback port Redis listens on.</summary>
    public int Port { get; private set; }

    /// <summary>A StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public async ValueTask InitializeAsync()
    {
        var server = FindServer() ?? throw new InvalidOperationException(
            "redis-server is not installed: `apt-get install redis-server` (.ci/run does it), or set REDIS_SERVER to its path.");
        for (var attempt = 1; ; attempt++)
        {
            Port = AzuriteFixture.GetFreeTcpPort();
            try
            {
                await StartAsync(server);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5)
            {
                // Another process took the free port before Redis bound it: try another one.
                Stop();
            }
        }
    }

    private async Task StartAsync(string server)
    {
        var redis = $"'{server}' --port {Port.ToString(CultureInfo.InvariantCulture)} --bind 127.0.0.1 --save '' --appendonly no --protected-mode yes --loglevel warning";
        var watcher = $"{redis} & r=$!; trap 'kill $r 2>/dev/null' EXIT TERM; " +
            $"while kill -0 {Environment.ProcessId.ToString(CultureInfo.InvariantCulture)} 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 1; done";
        var start = new ProcessStartInfo("/bin/sh")
        {
            ArgumentList = { "-c", watcher },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, e) => Keep(e.Data);
        _process.ErrorDataReceived += (_, e) => Keep(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var started = TimeProvider.System.GetTimestamp();
        while (!await RespondsAsync())
        {
            if (_process.HasExited || TimeProvider.System.GetElapsedTime(started) > StartTimeout)
            {
                throw new InvalidOperationException($"redis-server did not answer on port {Port}: {Output}");
            }

            await Task.Delay(ReadyPollPause);
        }
    }

    /// <summary>What the server wrote, for a failed test's message.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private async Task<bool> RespondsAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? FindServer()
    {
        if (Environment.GetEnvironmentVariable("REDIS_SERVER") is { Length: > 0 } configured)
        {
            return configured;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(dir => Path.Combine(dir, "redis-server"))
            .Concat(["/usr/bin/redis-server", "/usr/sbin/redis-server"])
            .FirstOrDefault(File.Exists);
    }

    private void Stop()
    {
        if (_process is { } process)
        {
            try
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(StopTimeout);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
            _process = null;
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}
