using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Hosting;

/// <summary>The real host as its own process, killed without warning right after a 201.</summary>
[Collection(HostProcessCollection.Name)]
public sealed class CrashTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task APromiseAcknowledgedWith201SurvivesAKillOfTheProcess()
    {
        var table = azurite.NewTableName("crash");
        Guid id;
        using (var first = await HostProcess.StartAsync(azurite, table))
        {
            using var desk = await first.SignInAsync("desk1", "1111");
            var created = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
            {
                what = "Wake-up call at 6",
                customer = new { name = "Ana", room = "301" },
                dueAt = DateTimeOffset.UtcNow.AddHours(6).ToString("O"),
            });
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            id = (await created.JsonAsync()).GetProperty("id").GetGuid();

            first.Kill();
        }

        using var second = await HostProcess.StartAsync(azurite, table);
        using var client = await second.SignInAsync("desk1", "1111");

        var view = await (await client.GetAsync($"/api/sites/demo/commitments/{id}")).JsonAsync();
        view.GetProperty("what").GetString().ShouldBe("Wake-up call at 6");
        var list = await (await client.GetAsync("/api/sites/demo/commitments")).JsonAsync();
        list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ShouldContain(id);
    }
}

/// <summary>Tests that run the host as child processes take turns: two hosts starting beside the browser tests on 2 cores starve them.</summary>
[CollectionDefinition(Name)]
public sealed class HostProcessCollection
{
    public const string Name = "host processes";
}

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

    public async Task<HttpClient> SignInAsync(string staff, string pin, string site = "demo")
    {
        var client = NewClient();
        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site, staff, pin });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
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

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }
}
