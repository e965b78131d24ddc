using Commitments.Bench.Cluster;
using Commitments.Bench.Escalation;
using Commitments.Bench.Http;
using Commitments.Bench.Insights;
using Commitments.Bench.Ledger;
using Commitments.Bench.Scale;
using Commitments.Bench.Texts;

// dotnet run -c Release --project bench/Commitments.Bench [-- ledger|texts|escalation|insights|http|scale|cluster|all] [--callers N] [--count N] [--rounds N] [--texts N] [--mps N] [--spread N] [--burst N] [--only htabcdef] [--big N] [--promises N] [--creates N] [--memory N] [--parts tfm] [--rate N] [--seconds N] [--edges cmalb] [--sites N] [--autocannon [--connections N]]
var which = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "all";
if (which == "load")
{
    // The HTTP bench's load generator, started by the bench as a process of its own.
    return await OpenLoopLoad.RunAsync(args[1]);
}

if (which is "ledger" or "all")
{
    await CreateBenchmark.RunAsync(Argument("--callers", 16), Argument("--count", 1500), Argument("--rounds", 5));
}

if (which is "texts" or "all")
{
    await DispatchBenchmark.RunAsync(Argument("--texts", 2000), Argument("--mps", 50));
}

if (which is "escalation" or "all")
{
    await EscalationBenchmark.RunAsync(Argument("--spread", 10000), Argument("--burst", 2000), Text("--only", "htabcd"), Argument("--big", 100_000));
}

if (which is "insights" or "all")
{
    await GapMapBenchmark.RunAsync(Argument("--promises", 150_000), Argument("--rounds", 10));
}

if (which is "http" or "all")
{
    await HttpBenchmark.RunAsync(
        Argument("--rate", 200), Argument("--seconds", 20), Text("--edges", "cmal"), Argument("--connections", 20), args.Contains("--autocannon"),
        Argument("--big", 100_000));
}

if (which is "scale")
{
    await ScaleBenchmark.RunAsync(Argument("--sites", 500), Argument("--promises", 1_000_000));
}

if (which is "cluster" or "all")
{
    await ClusterBenchmark.RunAsync(Argument("--creates", 5000), Argument("--callers", 16), Argument("--promises", 300), Argument("--memory", 100_000), Text("--parts", "tfm"));
}

return 0;

string Text(string name, string fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}

int Argument(string name, int fallback)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length && int.TryParse(args[at + 1], out var value) ? value : fallback;
}
