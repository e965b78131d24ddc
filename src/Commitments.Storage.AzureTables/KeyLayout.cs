using System.Net;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Commitments.Storage.AzureTables;

/// <summary>
/// Records a table's key layout in a row of its own, and moves first-layout rows (RowKey the state name alone) to
/// <see cref="AzureTableGrainStorage.RowKeyOf"/> when the table opens, before any grain reads.
/// </summary>
/// <remarks>
/// Each row is copied, then deleted, and the layout row is written last, so the next start finishes a cut-short move.
/// </remarks>
internal static partial class KeyLayout
{
    /// <summary>The PartitionKey and RowKey of the layout row: escaped keys never start with "!!".</summary>
    public const string RowKey = "!!layout";

    public const string VersionProperty = "Version";

    public const int Current = 2;

    private const int Parallelism = 16;

    public static async Task UpgradeAsync(TableClient table, ILogger logger, string providerName, CancellationToken cancellationToken)
    {
        var marker = await table.GetEntityIfExistsAsync<TableEntity>(RowKey, RowKey, cancellationToken: cancellationToken);
        if (marker.HasValue && marker.Value?.GetInt32(VersionProperty) >= Current)
        {
            return;
        }

        var moved = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey ne {RowKey}");
        await foreach (var page in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).AsPages())
        {
            var old = page.Values.Where(IsFirstLayout).ToList();
            await Parallel.ForEachAsync(
                old,
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (entity, token) =>
                {
                    await MoveAsync(table, entity, token);
                    Interlocked.Increment(ref moved);
                });
        }

        await table.UpsertEntityAsync(new TableEntity(RowKey, RowKey) { [VersionProperty] = Current }, TableUpdateMode.Replace, cancellationToken);
        if (moved > 0)
        {
            LogMoved(logger, providerName, table.Name, moved, Current);
        }
    }

    /// <summary>A row of ours whose RowKey is its state name alone.</summary>
    public static bool IsFirstLayout(TableEntity entity)
    {
        var grainId = entity.GetString(StateEntity.GrainIdProperty);
        if (grainId is null)
        {
            return false;
        }

        // Current RowKeys end with the escaped "/{GrainId}", or are shortened (a state name never is).
        var current = entity.RowKey.EndsWith(TableKey.Escape("/" + grainId), StringComparison.Ordinal)
            || entity.RowKey.Contains("!!", StringComparison.Ordinal);
        return !current;
    }

    private static async Task MoveAsync(TableClient table, TableEntity entity, CancellationToken cancellationToken)
    {
        var grainId = entity.GetString(StateEntity.GrainIdProperty);
        string stateName;
        try
        {
            stateName = TableKey.Unescape(entity.RowKey);
        }
        catch (FormatException exception)
        {
            throw new InvalidOperationException(
                $"Row '{entity.PartitionKey}'/'{entity.RowKey}' of table '{table.Name}' (grain {
                    grainId}) has neither key layout; it cannot be moved.",
                exception);
        }

        var copy = new TableEntity(entity.PartitionKey, AzureTableGrainStorage.RowKeyOf(stateName, grainId));
        foreach (var (name, value) in entity)
        {
            if (name is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag"))
            {
                copy[name] = value;
            }
        }

        try
        {
            await table.AddEntityAsync(copy, cancellationToken);
        }
        catch (RequestFailedException exception) when (exception.Status == (int)HttpStatusCode.Conflict)
        {
            // Copied by a move that was cut short before it deleted the old row.
        }

        await table.DeleteEntityAsync(entity.PartitionKey, entity.RowKey, ETag.All, cancellationToken);
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Grain storage {ProviderName} moved {Rows} rows of table {TableName} to key layout {Layout}")]
    private static partial void LogMoved(ILogger logger, string providerName, string tableName, int rows, int layout);
}
