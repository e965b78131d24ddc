namespace Commitments.Storage.AzureTables;

/// <summary>
/// Reads stored grain states in bulk, for rebuilding data derived from them (an index, a projection).
/// </summary>
/// <remarks>
/// Resolve it by the storage provider's name: <c>services.GetRequiredKeyedService&lt;IGrainStateQuery&gt;(name)</c>;
/// the default provider is also registered without a key. The results come straight from the table, not
/// from live grains, so a grain may have changed its state since; use the ETag and
/// <see cref="StoredGrainState{T}.LastModified"/> to decide which copy is newer.
/// </remarks>
public interface IGrainStateQuery
{
    /// <summary>
    /// Streams every stored state named <paramref name="stateName"/> whose grain id starts with
    /// <paramref name="grainIdPrefix"/>, in no guaranteed order.
    /// </summary>
    /// <param name="stateName">The state name the grain uses, e.g. the name in <c>[PersistentState("state")]</c>.</param>
    /// <param name="grainIdPrefix">
    /// A prefix of <c>GrainId.ToString()</c>, which is "type/key": "commitment/" for all grains of one type,
    /// "commitment/demo/" for the keys of that type that start with "demo/", or "" for all grains.
    /// </param>
    /// <param name="changedSince">When set, only states the table changed at or after this time.</param>
    /// <param name="cancellationToken">Stops the query.</param>
    /// <remarks>Cleared states (tombstones) are skipped; deleted states are gone and cannot be returned.</remarks>
    IAsyncEnumerable<StoredGrainState<T>> QueryAsync<T>(
        string stateName,
        string grainIdPrefix,
        DateTimeOffset? changedSince = null,
        CancellationToken cancellationToken = default);
}
