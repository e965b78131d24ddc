using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Cluster;

/// <summary>The real balancer (tools/Commitments.Balancer, YARP) as a child process: https in front, the hosts' http ports behind.</summary>
public sealed class BalancerProcess : IDisposable
{
    private readonly Process _process;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _output = new();

    private BalancerProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public string Output => string.Join('\n', _output);

    public static async Task<BalancerProcess> StartAsync(IEnumerable<HostProcess> hosts)
    {
        var port = AzuriteFixture.GetFreeTcpPort();
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(FindDll());
        start.Environment["ASPNETCORE_URLS"] = $"https://127.0.0.1:{port}";
        start.Environment["Kestrel__Certificates__Default__Path"] = TestCertificate.Path;
        start.Environment["Kestrel__Certificates__Default__Password"] = TestCertificate.Password;
        start.Environment["Logging__LogLevel__Default"] = "Information";
        var index = 0;
        foreach (var host in hosts)
        {
            start.Environment[$"Balancer__Hosts__{index++}"] = $"http://127.0.0.1:{host.HttpPort}";
        }

        var process = Process.Start(start)!;
        var balancer = new BalancerProcess(process, new Uri($"https://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => balancer.Heard(e.Data);
        process.ErrorDataReceived += (_, e) => balancer.Heard(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await balancer.WaitForHostsAsync(index, TimeSpan.FromSeconds(60));
        return balancer;
    }

    public HttpClient NewClient(CookieContainer cookies) =>
        new(new HttpClientHandler { CookieContainer = cookies, ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator })
        {
            BaseAddress = BaseAddress,
        };

    // A line the balancer wrote: it logs when it starts listening and each change of a host's health.
    private readonly System.Threading.Channels.Channel<bool> _lines = System.Threading.Channels.Channel.CreateUnbounded<bool>();

    private void Heard(string? line)
    {
        if (line is not null)
        {
            _output.Enqueue(line);
            _lines.Writer.TryWrite(true);
        }
    }

    /// <summary>Waits until the balancer's health probes find <paramref name="count"/> hosts available: asked again each time it logs a change.</summary>
    public async Task WaitForHostsAsync(int count, TimeSpan within)
    {
        using var client = NewClient(new CookieContainer());
        using var deadline = new CancellationTokenSource(within);
        while (true)
        {
            try
            {
                var health = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/balancer/health", deadline.Token);
                if (health.GetProperty("hostsAvailable").GetInt32() == count)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (!_process.HasExited)
            {
                // Not listening yet: it says so when it is.
            }

            try
            {
                await _lines.Reader.ReadAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"The balancer did not see {count} hosts available within {within}:\n{Output}");
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private static string FindDll()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var bin = Path.Combine(dir.FullName, "tools", "Commitments.Balancer", "bin");
            if (Directory.Exists(bin))
            {
                return Directory.EnumerateFiles(bin, "Commitments.Balancer.dll", SearchOption.AllDirectories)
                    .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}ref{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    .OrderByDescending(File.GetLastWriteTimeUtc)
                    .First();
            }
        }

        throw new InvalidOperationException("tools/Commitments.Balancer is not built (the test project builds it).");
    }
}
