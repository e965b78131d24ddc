namespace Commitments.Storage.AzureTables;

/// <summary>Reads stored grain states in bulk, to rebuild data derived from them (an index, a projection).</summary>
/// <remarks>
/// Keyed by provider name (the default also unkeyed). Rows come from the table, not live grains: use the ETag and
/// <see cref="StoredGrainState{T}.LastModified"/> to tell which copy is newer.
/// </remarks>
public interface IGrainStateQuery
{
    /// <summary>
    /// Streams, unordered, the states named <paramref name="stateName"/> whose "type/key" grain id starts with
    /// <paramref name="grainIdPrefix"/> ("commitment/", or "" for all); cleared and deleted states are not returned.
    /// </summary>
    IAsyncEnumerable<StoredGrainState<T>> QueryAsync<T>(
        string stateName,
        string grainIdPrefix,
        DateTimeOffset? changedSince = null,
        CancellationToken cancellationToken = default);

    /// <summary>
    /// As <see cref="QueryAsync{T}"/>, for every state whose name starts with <paramref name="stateNamePrefix"/> (a grain's
    /// numbered records, say); <see cref="StoredGrainState{T}.StateName"/> says which. Rows whose keys were shortened
    /// (a state name and grain id over ~440 characters) are left out: their state name cannot be read back.
    /// </summary>
    IAsyncEnumerable<StoredGrainState<T>> QueryByStateNamePrefixAsync<T>(
        string stateNamePrefix,
        string grainIdPrefix,
        DateTimeOffset? changedSince = null,
        CancellationToken cancellationToken = default);
}
