using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace Commitments.Testing;

/// <summary>Runs the built host (Commitments.Host.dll) as a child process on free loopback ports.</summary>
public sealed class HostProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output;

    private HostProcess(Process process, Uri baseAddress, int httpPort, System.Collections.Concurrent.ConcurrentQueue<string> output)
    {
        _process = process;
        BaseAddress = baseAddress;
        HttpPort = httpPort;
        _output = output;
    }

    /// <summary>Where clients talk to it (https when started with <c>https: true</c>).</summary>
    public Uri BaseAddress { get; }

    /// <summary>Its plain-http port (the same as <see cref="BaseAddress"/>'s unless https).</summary>
    public int HttpPort { get; }

    public bool HasExited => _process.HasExited;

    /// <summary>The process's resident memory now (VmRSS), in MiB.</summary>
    public double ResidentMegabytes()
    {
        _process.Refresh();
        return _process.WorkingSet64 / (1024.0 * 1024.0);
    }

    /// <summary>What it printed, for a failing test's message.</summary>
    public string Output => string.Join('\n', _output);

    /// <summary>
    /// Starts the host. With <paramref name="https"/> it also listens on https (the test certificate),
    /// as a host outside Development must: its cookies are Secure.
    /// </summary>
    public static async Task<HostProcess> StartAsync(
        AzuriteFixture azurite, string table, IDictionary<string, string>? environment = null, int? port = null, bool https = false, int? httpsPort = null)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Commitments.Host.dll");
        var listen = port ?? AzuriteFixture.GetFreeTcpPort();
        var secure = https ? httpsPort ?? AzuriteFixture.GetFreeTcpPort() : 0;
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = https ? $"https://127.0.0.1:{secure};http://127.0.0.1:{listen}" : $"http://127.0.0.1:{listen}";
        start.Environment["Kestrel__Certificates__Default__Path"] = TestCertificate.Path;
        start.Environment["Kestrel__Certificates__Default__Password"] = TestCertificate.Password;
        start.Environment["ConnectionStrings__Storage"] = azurite.ConnectionString;
        start.Environment["Storage__TableName"] = table;
        start.Environment["Orleans__SiloPort"] = AzuriteFixture.GetFreeTcpPort().ToString();
        start.Environment["Orleans__GatewayPort"] = AzuriteFixture.GetFreeTcpPort().ToString();
        start.Environment["Orleans__ClusterId"] = "test-" + Guid.NewGuid().ToString("N");
        start.Environment["DataProtection__CertificatePath"] = TestCertificate.Path;
        start.Environment["DataProtection__CertificatePassword"] = TestCertificate.Password;
        start.Environment["Privacy__PhoneKey"] = TestSecrets.PhoneKey;
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource();
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            if (e.Data.Contains("Application started", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { output.Enqueue(e.Data); } };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("The host exited: " + string.Join('\n', output)));
        process.EnableRaisingEvents = true;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var host = new HostProcess(process, new Uri(https ? $"https://127.0.0.1:{secure}" : $"http://127.0.0.1:{listen}"), listen, output);
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(90));
        }
        catch
        {
            host.Dispose();
            throw;
        }

        return host;
    }

    /// <summary>A client of its own cookies (the test certificate is trusted only here).</summary>
    public HttpClient NewClient(CookieContainer? cookies = null) =>
        new(new HttpClientHandler
        {
            CookieContainer = cookies ?? new CookieContainer(),
            ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
        })
        {
            BaseAddress = BaseAddress,
        };

    public async Task<HttpClient> SignInAsync(string staff, string pin, string site = "demo", CookieContainer? cookies = null)
    {
        var client = NewClient(cookies);
        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site, staff, pin });
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"Signing in {staff} at {site} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return client;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush — what a power cut does.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>SIGTERM, as an orchestrator stops a container: the host drains and leaves the cluster.</summary>
    public async Task StopAsync(TimeSpan within)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await term.WaitForExitAsync();
        }

        await _process.WaitForExitAsync().WaitAsync(within);
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
