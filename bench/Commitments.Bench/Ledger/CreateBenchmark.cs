using System.Diagnostics;
using Azure.Data.Tables;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Storage.AzureTables;
using Commitments.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commitments.Bench.Ledger;

/// <summary>Durable creates per second through the grain against raw table inserts of the same size.</summary>
internal static class CreateBenchmark
{
    public static async Task RunAsync(int callers, int perRound, int rounds)
    {
        // Durable creates through the commitment grain vs raw Azure.Data.Tables inserts of an entity of the
        // same size, in one run against one Azurite, with the same number of concurrent callers.

        await using var azurite = new AzuriteFixture();
        await azurite.InitializeAsync();
        var tables = new TableServiceClient(azurite.ConnectionString);
        var grainTable = azurite.NewTableName("benchgrains");

        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(AzuriteFixture.GetFreeTcpPort(), AzuriteFixture.GetFreeTcpPort());
            // As the host stores state: Orleans' binary format.
            silo.AddAzureTableGrainStorageAsDefault(o => o.Configure<Orleans.Serialization.Serializer>((options, serializer) =>
            {
                options.TableServiceClient = tables;
                options.TableName = grainTable;
                options.GrainStorageSerializer = new Orleans.Storage.OrleansGrainStorageSerializer(serializer);
            }));
        });
        using var host = builder.Build();
        await host.StartAsync();
        var grains = host.Services.GetRequiredService<IGrainFactory>();

        // Ten hotels, so the run (about 14,000 creates) stays under a site's cap on open promises.
        string[] sites = [.. Enumerable.Range(0, 10).Select(n => $"bench{n}")];
        foreach (var id in sites)
        {
            await BenchHost.SetUpHotelAsync(grains, id);
        }

        var desk = Actor.Staff("desk1");
        NewCommitment Promise(int i) => new(
            $"Extra towels and two pillows to room {400 + (i % 200)}",
            new CustomerInput("Ana Silva", "(202) 555-0199", $"{400 + (i % 200)}", true, "es"),
            DateTimeOffset.UtcNow.AddHours(2).ToString("O"),
            "hk1",
            "Four bath towels, please");

        async Task<double> GrainCreates(int count)
        {
            return await Run(count, i => grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(sites[i % sites.Length], Guid.NewGuid())).Create(desk, Promise(i)));
        }

        // Warm up both paths, then size the raw entity like a stored promise.
        await GrainCreates(200);
        var stored = tables.GetTableClient(grainTable);
        var sample = await stored.QueryAsync<TableEntity>(maxPerPage: 100).FirstAsync(e =>
            e.GetString("GrainId") is { } grainId && grainId.StartsWith("commitment/", StringComparison.Ordinal)
            && e.RowKey == AzureTableGrainStorage.RowKeyOf(CommitmentGrain.StateName, grainId));
        var payloadBytes = sample.Keys.Where(k => k.StartsWith("Data", StringComparison.Ordinal)).Sum(k => sample.GetBinary(k)?.Length ?? 0);
        var rawTable = tables.GetTableClient(azurite.NewTableName("benchraw"));
        await rawTable.CreateIfNotExistsAsync();
        var payload = new byte[payloadBytes];
        Random.Shared.NextBytes(payload);

        async Task<double> RawInserts(int count) => await Run(count, _ =>
        {
            var key = Guid.NewGuid().ToString("N");
            return rawTable.AddEntityAsync(new TableEntity(
                TableKey.From($"commitments/commitment/bench/{key}"), AzureTableGrainStorage.RowKeyOf(CommitmentGrain.StateName, $"commitment/bench/{key}"))
            {
                ["GrainId"] = $"commitment/bench/{key}",
                ["Data0"] = payload,
            });
        });
        await RawInserts(200);

        async Task<double> Run(int count, Func<int, Task> operation)
        {
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, callers).Select(async _ =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < count)
                {
                    await operation(i);
                }
            }));
            return count / clock.Elapsed.TotalSeconds;
        }

        Console.WriteLine($"Azurite {azurite.TableEndpoint}, {Environment.ProcessorCount} cores, {callers} concurrent callers, {perRound} operations a round, stored promise {payloadBytes} bytes");
        // Warm-up rounds, not counted: the host's code reaches its steady state (tiered JIT, the thread
        // pool's size) only after a few thousand creates; measured, creates rose from ~900/s in the first
        // round to ~2,200/s by the seventh while raw inserts stayed level.
        for (var round = 1; round <= WarmUpRounds; round++)
        {
            var (warmRaw, warmCreate) = (await RawInserts(perRound), await GrainCreates(perRound));
            Console.WriteLine($"warm-up {round}: raw inserts {warmRaw:F0}/s, durable creates {warmCreate:F0}/s");
        }

        var creates = new List<double>();
        var raws = new List<double>();
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate so drift in the machine's load hits both sides alike.
            raws.Add(await RawInserts(perRound));
            creates.Add(await GrainCreates(perRound));
            Console.WriteLine($"round {round}: raw inserts {raws[^1]:F0}/s, durable creates {creates[^1]:F0}/s");
        }

        var create = Median(creates);
        var raw = Median(raws);
        Console.WriteLine($"durable creates/s (median): {create:F0}");
        Console.WriteLine($"raw inserts/s (median): {raw:F0}");
        Console.WriteLine($"create/raw ratio: {create / raw:F2}");
        await host.StopAsync();
    }

    private const int WarmUpRounds = 4;

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}
