using System.Diagnostics.Metrics;
using System.Net;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables;

/// <summary>
/// Grain storage on Azure Tables (or Azurite): a row per grain and state name, ETag optimistic concurrency,
/// bulk reads (<see cref="IGrainStateQuery"/>).
/// </summary>
/// <remarks>
/// PartitionKey <c>{ServiceId}/{GrainId}</c>, RowKey <c>{stateName}/{GrainId}</c> (<see cref="RowKeyOf"/> says why), both via
/// <see cref="TableKey.From"/>; tables in the earlier layout are moved to this one at start.
/// </remarks>
public sealed partial class AzureTableGrainStorage : IGrainStorage, IGrainStateQuery, ILifecycleParticipant<ISiloLifecycle>
{
    /// <summary>Reports <c>commitments.storage.operations</c> by operation and grain type.</summary>
    public const string MeterName = "Commitments.Storage.AzureTables";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Operations = Meter.CreateCounter<long>(
        "commitments.storage.operations", "{operation}", "Grain state reads, writes and clears sent to the table, by operation and grain type");

    private readonly string _name;
    private readonly AzureTableGrainStorageOptions _options;
    private readonly string _serviceId;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activatorProvider;
    private readonly ILogger _logger;
    private readonly TableClient _table;
    private readonly Lock _tableLock = new();
    private Task? _tableReady;

    public AzureTableGrainStorage(
        string name,
        AzureTableGrainStorageOptions options,
        IOptions<ClusterOptions> clusterOptions,
        IActivatorProvider activatorProvider,
        ILogger<AzureTableGrainStorage> logger)
    {
        var problem = AzureTableGrainStorageOptionsValidator.FindProblem(options);
        if (problem is not null)
        {
            throw new ArgumentException($"Azure table grain storage '{name}': {problem}", nameof(options));
        }

        var serviceId = clusterOptions.Value.ServiceId;
        if (string.IsNullOrEmpty(serviceId) || serviceId.Contains('/', StringComparison.Ordinal))
        {
            // Keys join service id and grain id with '/', so one inside the service id could make two services' keys collide.
            throw new ArgumentException(
                $"Azure table grain storage '{name}' needs a ServiceId without '/', not '{serviceId}'.", nameof(clusterOptions));
        }

        _name = name;
        _options = options;
        _serviceId = serviceId;
        _serializer = options.GrainStorageSerializer;
        _activatorProvider = activatorProvider;
        _logger = logger;
        var service = options.TableServiceClient ?? new TableServiceClient(options.ConnectionString);
        _table = service.GetTableClient(options.TableName);
    }

    private static void Count(string operation, GrainId grainId)
    {
        if (Operations.Enabled)
        {
            Operations.Add(
                1,
                new KeyValuePair<string, object?>("operation", operation),
                new KeyValuePair<string, object?>("grain.type", grainId.Type.ToString()));
        }
    }

    /// <summary>The provider name this instance is registered under.</summary>
    public string Name => _name;

    /// <summary>Creates the table if missing; runs at silo start, and every operation also ensures it.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default) => await GetTableAsync(cancellationToken);

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(AzureTableGrainStorage)}-{_name}", _options.InitStage, InitializeAsync);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var table = await GetTableAsync(cancellationToken);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        LogReading(_name, stateName, grainId);
        Count("read", grainId);

        var response = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, cancellationToken: cancellationToken);
        if (!response.HasValue || response.Value is not { } entity)
        {
            grainState.State = CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
            return;
        }

        var cleared = StateEntity.IsTombstone(entity);
        grainState.State = cleared ? CreateInstance<T>() : Deserialize<T>(entity, stateName, grainId.ToString());
        grainState.ETag = entity.ETag.ToString();
        grainState.RecordExists = !cleared;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var table = await GetTableAsync(cancellationToken);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        var grainIdText = GrainIdText(grainId);
        LogWriting(_name, stateName, grainId, grainState.ETag);
        Count("write", grainId);

        var data = _serializer.Serialize(grainState.State).ToMemory();
        var maxSize = StateEntity.MaxDataBytes(partitionKey, rowKey, grainIdText);
        if (data.Length > maxSize)
        {
            LogStateTooLarge(_name, stateName, grainId, data.Length, maxSize);
            throw new GrainStateTooLargeException(grainIdText, stateName, data.Length, maxSize);
        }

        var entity = StateEntity.Create(partitionKey, rowKey, grainIdText, data);
        grainState.ETag = await PutAsync(table, entity, grainState.ETag, "write", stateName, grainId, cancellationToken);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        var table = await GetTableAsync(cancellationToken);
        var (partitionKey, rowKey) = KeysOf(stateName, grainId);
        LogClearing(_name, stateName, grainId, grainState.ETag, _options.DeleteStateOnClear);
        Count("clear", grainId);

        if (_options.DeleteStateOnClear)
        {
            await DeleteAsync(table, partitionKey, rowKey, grainState.ETag, stateName, grainId, cancellationToken);
            grainState.ETag = null;
        }
        else
        {
            var tombstone = StateEntity.CreateTombstone(partitionKey, rowKey, GrainIdText(grainId));
            grainState.ETag = await PutAsync(table, tombstone, grainState.ETag, "clear", stateName, grainId, cancellationToken);
        }

        grainState.State = CreateInstance<T>();
        grainState.RecordExists = false;
    }

    public IAsyncEnumerable<StoredGrainState<T>> QueryAsync<T>(
        string stateName,
        string grainIdPrefix,
        DateTimeOffset? changedSince = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateName);
        return QueryRowsAsync<T>(
            stateName + "/", grainIdPrefix, changedSince, (rowKey, grainId) => rowKey == RowKeyOf(stateName, grainId) ? stateName : null, cancellationToken);
    }

    public IAsyncEnumerable<StoredGrainState<T>> QueryByStateNamePrefixAsync<T>(
        string stateNamePrefix,
        string grainIdPrefix,
        DateTimeOffset? changedSince = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stateNamePrefix);
        return QueryRowsAsync<T>(
            stateNamePrefix,
            grainIdPrefix,
            changedSince,
            (rowKey, grainId) => StateNameOf(rowKey, grainId) is { } name && name.StartsWith(stateNamePrefix, StringComparison.Ordinal) ? name : null,
            cancellationToken);
    }

    private async IAsyncEnumerable<StoredGrainState<T>> QueryRowsAsync<T>(
        string rowKeyPrefix,
        string grainIdPrefix,
        DateTimeOffset? changedSince,
        Func<string, string, string?> stateNameOf,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainIdPrefix);
        var table = await GetTableAsync(cancellationToken);

        // Escaping keeps prefixes, so matches form one key range; shortened keys keep only their start, hence the exact check below.
        var (from, to) = KeysStartingWith($"{_serviceId}/{grainIdPrefix}");
        var (rowFrom, rowTo) = KeysStartingWith(rowKeyPrefix);
        var filter = changedSince is { } since
            ? TableClient.CreateQueryFilter(
                $"PartitionKey ge {from} and PartitionKey lt {to} and RowKey ge {rowFrom} and RowKey lt {
                    rowTo} and Cleared eq false and Timestamp ge {since}")
            : TableClient.CreateQueryFilter(
                $"PartitionKey ge {from} and PartitionKey lt {to} and RowKey ge {rowFrom} and RowKey lt {rowTo} and Cleared eq false");
        LogQuerying(_name, rowKeyPrefix, grainIdPrefix, changedSince);

        await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            // The ranges may also hold other services, and other state names.
            var grainIdText = entity.GetString(StateEntity.GrainIdProperty);
            if (grainIdText is null
                || !grainIdText.StartsWith(grainIdPrefix, StringComparison.Ordinal)
                || stateNameOf(entity.RowKey, grainIdText) is not { } stateName
                || entity.PartitionKey != TableKey.From($"{_serviceId}/{grainIdText}"))
            {
                continue;
            }

            var state = Deserialize<T>(entity, stateName, grainIdText);
            yield return new StoredGrainState<T>(
                GrainId.Parse(grainIdText), state, entity.ETag.ToString(), entity.Timestamp ?? DateTimeOffset.MinValue)
            {
                StateName = stateName,
            };
        }
    }

    // The state name a RowKey was made from (see RowKeyOf); null when the key was shortened, so cannot be read back.
    private static string? StateNameOf(string rowKey, string grainIdText)
    {
        string unescaped;
        try
        {
            unescaped = TableKey.Unescape(rowKey);
        }
        catch (FormatException)
        {
            return null;
        }

        var suffix = "/" + grainIdText;
        return unescaped.EndsWith(suffix, StringComparison.Ordinal) && unescaped[..^suffix.Length] is var name
            && RowKeyOf(name, grainIdText) == rowKey
            ? name
            : null;
    }

    // [From, To) holds every key starting with the escaped value, cut as shortened keys are.
    private static (string From, string To) KeysStartingWith(string value)
    {
        var from = TableKey.Truncate(TableKey.Escape(value), TableKey.ShortenedPrefixLength);
        return (from, string.Concat(from.AsSpan(0, from.Length - 1), [(char)(from[^1] + 1)]));
    }

    private (string PartitionKey, string RowKey) KeysOf(string stateName, GrainId grainId) =>
        (TableKey.From($"{_serviceId}/{grainId}"), RowKeyOf(stateName, grainId.ToString()));

    /// <summary>The RowKey of a grain's state: <c>{stateName}/{GrainId}</c>, escaped.</summary>
    /// <remarks>
    /// The grain id is repeated so no two rows share a RowKey: Azurite looks rows up by RowKey first, then scans those
    /// rows for the PartitionKey, so a RowKey per state name made every operation slow. Azure uses both keys either way.
    /// </remarks>
    public static string RowKeyOf(string stateName, string grainId) => TableKey.From($"{stateName}/{grainId}");

    private static string GrainIdText(GrainId grainId)
    {
        var text = grainId.ToString();
        if (text.Length > StateEntity.MaxStringPropertyChars)
        {
            throw new ArgumentException(
                $"Grain ids longer than {StateEntity.MaxStringPropertyChars} characters cannot be stored in a table row; this one has {text.Length}.",
                nameof(grainId));
        }

        return text;
    }

    // Inserts when the caller saw no row (ETag null), else replaces the row it saw; a conflict means its view is stale.
    private async Task<string> PutAsync(
        TableClient table, TableEntity entity, string? etag, string operation, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        try
        {
            var response = etag is null
                ? await table.AddEntityAsync(entity, cancellationToken)
                : await table.UpdateEntityAsync(entity, new ETag(etag), TableUpdateMode.Replace, cancellationToken);
            return response.Headers.ETag?.ToString()
                ?? throw new InvalidOperationException($"Table '{_options.TableName}' returned no ETag for a {operation}.");
        }
        catch (RequestFailedException exception)
            when (exception.Status is (int)HttpStatusCode.Conflict or (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            throw await ConflictAsync(table, entity.PartitionKey, entity.RowKey, etag, operation, stateName, grainId, exception, cancellationToken);
        }
    }

    private async Task DeleteAsync(
        TableClient table, string partitionKey, string rowKey, string? etag, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        if (etag is null)
        {
            // No row seen: nothing to delete unless someone else wrote one.
            var existing = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, [StateEntity.ClearedProperty], cancellationToken);
            if (existing.HasValue)
            {
                throw await ConflictAsync(table, partitionKey, rowKey, etag, "delete", stateName, grainId, null, cancellationToken);
            }

            return;
        }

        try
        {
            // The SDK reports a missing row as a 404 response rather than an exception.
            var response = await table.DeleteEntityAsync(partitionKey, rowKey, new ETag(etag), cancellationToken);
            if (response.Status == (int)HttpStatusCode.NotFound)
            {
                throw await ConflictAsync(table, partitionKey, rowKey, etag, "delete", stateName, grainId, null, cancellationToken);
            }
        }
        catch (RequestFailedException exception) when (exception.Status is (int)HttpStatusCode.PreconditionFailed or (int)HttpStatusCode.NotFound)
        {
            throw await ConflictAsync(table, partitionKey, rowKey, etag, "delete", stateName, grainId, exception, cancellationToken);
        }
    }

    private async Task<InconsistentStateException> ConflictAsync(
        TableClient table,
        string partitionKey,
        string rowKey,
        string? currentETag,
        string operation,
        string stateName,
        GrainId grainId,
        Exception? storageException,
        CancellationToken cancellationToken)
    {
        // Looked up only on failure, so the exception can say what the caller missed.
        string storedETag;
        try
        {
            var stored = await table.GetEntityIfExistsAsync<TableEntity>(partitionKey, rowKey, [StateEntity.ClearedProperty], cancellationToken);
            storedETag = stored.HasValue && stored.Value is { } entity ? entity.ETag.ToString() : "none (no row)";
        }
        catch (RequestFailedException)
        {
            storedETag = "unknown";
        }

        LogConflict(_name, operation, stateName, grainId, currentETag, storedETag);
        var message = $"Could not {operation} state '{stateName}' of grain {grainId} in table '{_options.TableName}': the caller's ETag "
            + $"{currentETag ?? "null (no row expected)"} does not match the stored ETag {storedETag}. Another activation or writer changed it; "
            + "re-read the state before writing.";
        return new InconsistentStateException(message, storedETag, currentETag, storageException);
    }

    private T Deserialize<T>(TableEntity entity, string stateName, string grainIdText)
    {
        var data = StateEntity.ReadData(entity);
        if (data.Length == 0)
        {
            return CreateInstance<T>();
        }

        try
        {
            return _serializer.Deserialize<T>(new BinaryData(data)) ?? CreateInstance<T>();
        }
        catch (Exception exception)
        {
            LogDeserializationFailed(_name, stateName, grainIdText, data.Length, exception);
            throw new OrleansException(
                $"Stored state '{stateName}' of grain {grainIdText} ({data.Length} bytes) in table '{_options.TableName}' could not be read as {
                    typeof(T).Name}.",
                exception);
        }
    }

    private T CreateInstance<T>() => _activatorProvider.GetActivator<T>().Create();

    private ValueTask<TableClient> GetTableAsync(CancellationToken cancellationToken)
    {
        var ready = _tableReady;
        if (ready is { IsCompletedSuccessfully: true })
        {
            return ValueTask.FromResult(_table);
        }

        lock (_tableLock)
        {
            // A failed attempt (say the emulator was not up yet) is retried by the next caller.
            if (_tableReady is null || _tableReady.IsFaulted || _tableReady.IsCanceled)
            {
                _tableReady = CreateTableAsync();
            }

            ready = _tableReady;
        }

        return WaitAsync(ready, cancellationToken);

        async ValueTask<TableClient> WaitAsync(Task task, CancellationToken token)
        {
            await task.WaitAsync(token);
            return _table;
        }
    }

    // Shared by all callers, so one caller's cancellation must not cancel it for the others.
    private async Task CreateTableAsync()
    {
        try
        {
            await _table.CreateIfNotExistsAsync(CancellationToken.None);
            await KeyLayout.UpgradeAsync(_table, _logger, _name, CancellationToken.None);
            LogTableReady(_name, _options.TableName);
        }
        catch (Exception exception)
        {
            LogTableFailed(_name, _options.TableName, exception);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Grain storage {ProviderName} uses table {TableName}")]
    private partial void LogTableReady(string providerName, string tableName);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage {ProviderName} could not create or open table {TableName}")]
    private partial void LogTableFailed(string providerName, string tableName, Exception exception);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Grain storage {ProviderName} reading {StateName} of {GrainId}")]
    private partial void LogReading(string providerName, string stateName, GrainId grainId);

    [LoggerMessage(Level = LogLevel.Trace, Message = "Grain storage {ProviderName} writing {StateName} of {GrainId} over ETag {ETag}")]
    private partial void LogWriting(string providerName, string stateName, GrainId grainId, string? etag);

    [LoggerMessage(
        Level = LogLevel.Trace,
        Message = "Grain storage {ProviderName} clearing {StateName} of {GrainId} over ETag {ETag} (delete: {DeleteStateOnClear})")]
    private partial void LogClearing(string providerName, string stateName, GrainId grainId, string? etag, bool deleteStateOnClear);

    [LoggerMessage(
        Level = LogLevel.Debug,
        Message = "Grain storage {ProviderName} querying rows starting {RowKeyPrefix} of grains starting with {GrainIdPrefix} changed since {ChangedSince}")]
    private partial void LogQuerying(string providerName, string rowKeyPrefix, string grainIdPrefix, DateTimeOffset? changedSince);

    [LoggerMessage(
        Level = LogLevel.Warning,
        Message = "Grain storage {ProviderName} refused to {Operation} {StateName} of {GrainId}: ETag {ETag} is stale, stored is {StoredETag}")]
    private partial void LogConflict(string providerName, string operation, string stateName, GrainId grainId, string? etag, string storedETag);

    [LoggerMessage(
        Level = LogLevel.Error,
        Message = "Grain storage {ProviderName} refused to write {StateName} of {GrainId}: {Size} bytes exceed the {MaxSize} bytes one entity holds")]
    private partial void LogStateTooLarge(string providerName, string stateName, GrainId grainId, int size, int maxSize);

    [LoggerMessage(Level = LogLevel.Error, Message = "Grain storage {ProviderName} could not deserialize {StateName} of {GrainId} ({Size} bytes)")]
    private partial void LogDeserializationFailed(string providerName, string stateName, string grainId, int size, Exception exception);
}
