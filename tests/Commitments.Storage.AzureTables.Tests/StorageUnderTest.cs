using Azure.Data.Tables;
using Commitments.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Serialization;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>
/// A provider wired the way a silo wires it (same registration, the container's serializer), against a
/// table of its own in the shared Azurite.
/// </summary>
internal sealed class StorageUnderTest : IAsyncDisposable
{
    public const string ProviderName = "store";

    private readonly ServiceProvider _services;

    private StorageUnderTest(ServiceProvider services, AzuriteFixture azurite, string tableName)
    {
        _services = services;
        TableName = tableName;
        Provider = services.GetRequiredKeyedService<AzureTableGrainStorage>(ProviderName);
        Table = new TableServiceClient(azurite.ConnectionString).GetTableClient(tableName);
    }

    public AzureTableGrainStorage Provider { get; }

    public IGrainStorage Storage => Provider;

    public IGrainStateQuery Query => _services.GetRequiredKeyedService<IGrainStateQuery>(ProviderName);

    public IGrainStorageSerializer Serializer => _services.GetRequiredService<IGrainStorageSerializer>();

    /// <summary>The raw table, to check what was (not) written.</summary>
    public TableClient Table { get; }

    public string TableName { get; }

    public static async Task<StorageUnderTest> CreateAsync(
        AzuriteFixture azurite,
        bool deleteStateOnClear = false,
        string serviceId = "test-service",
        string? tableName = null)
    {
        tableName ??= azurite.NewTableName();
        var services = new ServiceCollection()
            .AddLogging()
            .AddSerializer()
            .AddSingleton<IGrainStorageSerializer, OrleansGrainStorageSerializer>()
            .Configure<ClusterOptions>(options =>
            {
                options.ClusterId = "test-cluster";
                options.ServiceId = serviceId;
            })
            .AddAzureTableGrainStorage(ProviderName, options => options.Configure(o =>
            {
                o.ConnectionString = azurite.ConnectionString;
                o.TableName = tableName;
                o.DeleteStateOnClear = deleteStateOnClear;
            }))
            .BuildServiceProvider();

        var storage = new StorageUnderTest(services, azurite, tableName);
        await storage.Provider.InitializeAsync(TestContext.Current.CancellationToken);
        return storage;
    }

    public async Task<TableEntity?> RawRowAsync(string partitionKey, string rowKey)
    {
        var response = await Table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: TestContext.Current.CancellationToken);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>Rows of grain state (not the row that records the key layout).</summary>
    public async Task<int> RowCountAsync()
    {
        var count = 0;
        await foreach (var _ in Table.QueryAsync<TableEntity>(e => e.PartitionKey != KeyLayout.RowKey, cancellationToken: TestContext.Current.CancellationToken))
        {
            count++;
        }

        return count;
    }

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
