
namespace Commitments.Host.Storage;

/// <summary>Where grain state lives (section "Storage"; connection string "ConnectionStrings:Storage").</summary>
public sealed class StorageOptions
{
    /// <summary>The table that holds every grain's state (default "CommitmentsGrainState").</summary>
    public string TableName { get; set; } = "CommitmentsGrainState";

    /// <summary>
    /// Most connections to the storage endpoint (default 64). A burst queues here instead of overflowing the
    /// endpoint's accept backlog, where dropped connects wait out TCP's retransmit back-off.
    /// </summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>How long one storage request may take (default 15 s; Azure's is 100 s).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Tries after the first (default 2), each after an exponential pause from <see cref="RetryDelay"/>.</summary>
    public int MaxRetries { get; set; } = 2;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the host probes storage (default 1 s); <see cref="ProbeTimeout"/> is the wait (default 2 s).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an API request or page action waits on grains before a 503 (default 5 s).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
