using System.Diagnostics;
using System.Text.Json;

namespace Commitments.Bench.Http;

/// <summary>What one load run sends: a URL (or a list of paths, each used once in turn), at a fixed rate.</summary>
internal sealed record LoadConfig(string Url, string Method, string Cookie, string? Body)
{
    public IReadOnlyList<string>? Paths { get; init; }

    public int Rate { get; init; } = 200;

    public int Duration { get; init; } = 20;

    public int Warmup { get; init; }

    /// <summary>Open connections; each sends at most Rate / Connections a second, so a slow answer holds up only its own.</summary>
    public int Connections { get; init; } = 20;
}

/// <summary>What autocannon counted; latencies in ms, corrected for coordinated omission.</summary>
internal sealed record LoadResult(
    int Requests, int Ok, int Non2xx, int Errors, int Timeouts,
    IReadOnlyDictionary<string, int> Statuses, IReadOnlyDictionary<string, int> WarmupStatuses,
    double P50, double P90, double P99, double Max)
{
    public int Created => Statuses.GetValueOrDefault("201");

    public int WarmupCreated => WarmupStatuses.GetValueOrDefault("201");

    public int Failed => Non2xx + Errors + Timeouts;

    public string Describe() =>
        $"{Requests} requests ({string.Join(", ", Statuses.Select(s => $"{s.Value}x{s.Key}"))}; errors {Errors}, timeouts {Timeouts}), " +
        $"p50 {P50:F0} ms, p90 {P90:F0} ms, p99 {P99:F0} ms, max {Max:F0} ms";
}

/// <summary>
/// Runs each load as a process of its own: the bench's open-loop generator (<see cref="OpenLoopLoad"/>, the default),
/// or autocannon (bench/http, installed with npm ci on first use; its rate is per-second bursts).
/// </summary>
internal sealed class LoadGenerator(string folder, bool autocannon)
{
    public static async Task<LoadGenerator> PrepareAsync(bool autocannon)
    {
        var folder = Path.Combine(BenchHost.RepositoryRoot(), "bench", "http");
        if (autocannon && !Directory.Exists(Path.Combine(folder, "node_modules", "autocannon")))
        {
            await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], folder);
        }

        return new LoadGenerator(folder, autocannon);
    }

    public string Name => autocannon ? "autocannon" : "the bench's open-loop generator";

    public async Task<LoadResult> RunAsync(LoadConfig config)
    {
        var file = Path.Combine(Path.GetTempPath(), $"commitments-load-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, JsonSerializer.Serialize(new
        {
            url = config.Url,
            method = config.Method,
            headers = new Dictionary<string, string> { ["cookie"] = config.Cookie, ["content-type"] = "application/json" },
            body = config.Body,
            paths = config.Paths,
            rate = config.Rate,
            duration = config.Duration,
            warmup = config.Warmup,
            connections = config.Connections,
        }));
        try
        {
            var output = autocannon
                ? await RunAsync("node", ["load.js", file], folder)
                : await RunAsync(Environment.ProcessPath!, ["load", file], folder);
            var json = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
            var latency = json.GetProperty("latency");
            return new LoadResult(
                json.GetProperty("requests").GetInt32(), json.GetProperty("ok").GetInt32(), json.GetProperty("non2xx").GetInt32(),
                json.GetProperty("errors").GetInt32(), json.GetProperty("timeouts").GetInt32(),
                Counts(json.GetProperty("statuses")), Counts(json.GetProperty("warmupStatuses")),
                latency.GetProperty("p50").GetDouble(), latency.GetProperty("p90").GetDouble(),
                latency.GetProperty("p99").GetDouble(), latency.GetProperty("max").GetDouble());
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Dictionary<string, int> Counts(JsonElement element) =>
        element.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());

    private static async Task<string> RunAsync(string program, string[] args, string directory)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} failed: {await stderr}{await stdout}");
        }

        return await stdout;
    }
}
