using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Commitments.Bench.Http;

/// <summary>
/// An open-loop load generator, run as its own process (<c>Commitments.Bench load &lt;config.json&gt;</c>):
/// request i is sent at start + i / rate whatever the earlier ones are doing, and its latency counts from
/// that moment, so a slow answer is never hidden by the requests it held back (autocannon's rate sends
/// each connection's quota at the start of every second instead, in bursts).
/// </summary>
internal static class OpenLoopLoad
{
    public static async Task<int> RunAsync(string configPath)
    {
        var config = JsonDocument.Parse(await File.ReadAllTextAsync(configPath)).RootElement;
        var url = new Uri(config.GetProperty("url").GetString()!);
        var method = new HttpMethod(config.GetProperty("method").GetString()!);
        var cookie = config.GetProperty("headers").GetProperty("cookie").GetString()!;
        var body = config.TryGetProperty("body", out var b) && b.ValueKind == JsonValueKind.String ? b.GetString() : null;
        string[]? paths = config.TryGetProperty("paths", out var p) && p.ValueKind == JsonValueKind.Array
            ? [.. p.EnumerateArray().Select(x => x.GetString()!)]
            : null;
        var rate = config.GetProperty("rate").GetInt32();
        var duration = config.GetProperty("duration").GetInt32();
        var warmup = config.TryGetProperty("warmup", out var w) ? w.GetInt32() : 0;

        using var client = new HttpClient(new SocketsHttpHandler
        {
            UseCookies = false,
            MaxConnectionsPerServer = 512,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        })
        { Timeout = TimeSpan.FromSeconds(30) };

        var next = 0;
        async Task<(ConcurrentDictionary<string, int> Statuses, List<double> Latencies, int Errors)> Phase(int seconds)
        {
            var statuses = new ConcurrentDictionary<string, int>();
            var latencies = new ConcurrentBag<double>();
            var errors = 0;
            var total = rate * seconds;
            var pending = new List<Task>(total);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                // It sleeps rather than spins to the moment (spinning took a third of a core at 400/s, from the host's
                // two): a request the timer sends a millisecond late still counts from its moment.
                var due = TimeSpan.FromSeconds((double)i / rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                var path = paths is null ? url.PathAndQuery : paths[next++ % paths.Length];
                pending.Add(Send(new Uri(url, path), due));
            }

            await Task.WhenAll(pending);
            return (statuses, [.. latencies], errors);

            async Task Send(Uri target, TimeSpan due)
            {
                using var request = new HttpRequestMessage(method, target);
                request.Headers.TryAddWithoutValidation("Cookie", cookie);
                if (body is not null)
                {
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }
                else if (method == HttpMethod.Post)
                {
                    request.Content = new StringContent("", Encoding.UTF8, "application/json");
                }

                try
                {
                    using var response = await client.SendAsync(request);
                    await response.Content.ReadAsByteArrayAsync();
                    latencies.Add((clock.Elapsed - due).TotalMilliseconds);
                    statuses.AddOrUpdate(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), 1, (_, n) => n + 1);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        }

        var warm = warmup > 0 ? (await Phase(warmup)).Statuses : new ConcurrentDictionary<string, int>();
        var (measured, sorted, failures) = await Phase(duration);
        sorted.Sort();
        double Pct(double q) => sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, Math.Ceiling(q * sorted.Count) - 1)];
        var ok = measured.Where(s => s.Key.StartsWith('2')).Sum(s => s.Value);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            requests = rate * duration,
            ok,
            non2xx = measured.Sum(s => s.Value) - ok,
            errors = failures,
            timeouts = 0,
            statuses = measured,
            warmupStatuses = warm,
            latency = new { p50 = Pct(0.50), p90 = Pct(0.90), p99 = Pct(0.99), max = sorted.Count == 0 ? 0 : sorted[^1] },
        }));
        return 0;
    }
}
