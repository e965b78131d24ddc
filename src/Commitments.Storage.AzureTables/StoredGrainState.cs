namespace Commitments.Storage.AzureTables;

/// <summary>One grain state as it is stored, with its ETag and the time the store last changed it.</summary>
public sealed record StoredGrainState<T>(GrainId GrainId, T State, string ETag, DateTimeOffset LastModified)
{
    /// <summary>The state's name (the one asked for, or the one found by a prefix query).</summary>
    public string StateName { get; init; } = "";
}
