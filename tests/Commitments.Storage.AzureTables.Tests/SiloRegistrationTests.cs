using Commitments.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>The provider registered in a real silo, as the default and as a named storage.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class SiloRegistrationTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AGrainKeepsItsPersistentStateInBothStoragesAcrossActivations()
    {
        var defaultTable = azurite.NewTableName("default");
        var namedTable = azurite.NewTableName("named");
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo
            .AddAzureTableGrainStorageAsDefault(options =>
            {
                options.ConnectionString = azurite.ConnectionString;
                options.TableName = defaultTable;
            })
            .AddAzureTableGrainStorage(CounterGrain.NamedStorage, options =>
            {
                options.ConnectionString = azurite.ConnectionString;
                options.TableName = namedTable;
                options.DeleteStateOnClear = true;
            }));
        await using var cluster = builder.Build();
        await cluster.DeployAsync(Ct);
        var counter = cluster.Client.GetGrain<ICounterGrain>("demo/1");

        await counter.AddAsync(2);
        await counter.AddAsync(3);
        await cluster.DeactivateAsync(counter);

        (await counter.GetAsync()).ShouldBe((5, 5));
        var silo = cluster.GetSiloServiceProvider();
        var stored = await ToListAsync(silo.GetRequiredService<IGrainStateQuery>().QueryAsync<CounterState>(CounterGrain.StateName, "counter/demo/", cancellationToken: Ct));
        stored.Single().GrainId.ShouldBe(counter.GetGrainId());
        stored.Single().State.ShouldBe(new CounterState { Value = 5 });
        var named = await ToListAsync(silo.GetRequiredKeyedService<IGrainStateQuery>(CounterGrain.NamedStorage).QueryAsync<CounterState>(CounterGrain.StateName, "counter/", cancellationToken: Ct));
        named.Single().State.ShouldBe(new CounterState { Value = 5 });

        await counter.ResetAsync();
        await cluster.DeactivateAsync(counter);

        (await counter.GetAsync()).ShouldBe((0, 0));
        (await ToListAsync(silo.GetRequiredService<IGrainStateQuery>().QueryAsync<CounterState>(CounterGrain.StateName, "counter/", cancellationToken: Ct))).ShouldBeEmpty();
    }

    private static async Task<List<T>> ToListAsync<T>(IAsyncEnumerable<T> items)
    {
        var list = new List<T>();
        await foreach (var item in items)
        {
            list.Add(item);
        }

        return list;
    }
}
