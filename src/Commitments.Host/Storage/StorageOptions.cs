
namespace Commitments.Host.Storage;

/// <summary>Where grain state lives (section "Storage"; connection string "ConnectionStrings:Storage").</summary>
public sealed class StorageOptions
{
    /// <summary>The table that holds every grain's state (default "CommitmentsGrainState").</summary>
    public string TableName { get; set; } = "CommitmentsGrainState";

    /// <summary>
    /// How many connections to the storage endpoint at most (default 64). A burst (a restart with
    /// thousands of promises to read) then queues here, in order, instead of opening thousands of
    /// sockets at once: past the endpoint's accept backlog the kernel drops the connection attempts,
    /// and each waits out TCP's retransmit back-off (1, 3, 7, 15 s…) with both sides idle.
    /// </summary>
    public int MaxConnections { get; set; } = 64;

    /// <summary>How long one storage request may take before it is given up (default 15 s; Azure's own default is 100 s).</summary>
    public TimeSpan NetworkTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Tries after the first (default 2), each after an exponential pause from <see cref="RetryDelay"/>.</summary>
    public int MaxRetries { get; set; } = 2;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the host asks storage whether it answers (default 1 s), and how long it waits for the answer (default 2 s).</summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long an API request or page action waits on the grains before it answers 503 (default 5 s).</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
