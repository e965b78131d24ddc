namespace Commitments.Storage.AzureTables;

/// <summary>A grain state does not fit in one table entity; nothing was written.</summary>
public sealed class GrainStateTooLargeException : OrleansException
{
    public GrainStateTooLargeException(string grainId, string stateName, long size, long maxSize)
        : base($"The state '{stateName}' of grain {grainId} is {size} bytes once serialized, but at most {maxSize} bytes fit in one "
            + "Azure table entity with this grain's keys. Nothing was written. Store less in this state or split it.")
    {
        GrainId = grainId;
        StateName = stateName;
        Size = size;
        MaxSize = maxSize;
    }

    public string GrainId { get; }

    public string StateName { get; }

    /// <summary>Serialized size, in bytes.</summary>
    public long Size { get; }

    /// <summary>The largest serialized size that fits with this grain's keys, in bytes.</summary>
    public long MaxSize { get; }
}
