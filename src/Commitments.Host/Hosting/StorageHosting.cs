using Azure.Data.Tables;
using Commitments.Host.Development;

namespace Commitments.Host.Hosting;

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

internal static class StorageHosting
{
    public const string ConnectionStringName = "Storage";

    public static IHostApplicationBuilder AddCommitmentsStorage(this IHostApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                "ConnectionStrings:Storage is not set. Use an Azure Storage connection string, or " +
                "UseDevelopmentStorage=true to run against a local Azurite (started for you in Development).");
        }

        // Only the development default launches anything; any other connection string is used as given.
        if (DevelopmentAzurite.IsDevelopmentStorage(connectionString))
        {
            builder.Services.AddHostedService<DevelopmentAzurite>();
        }

        builder.Services.AddOptions<StorageOptions>().BindConfiguration("Storage")
            .Validate(o => o.MaxConnections >= 1, "Storage:MaxConnections must be at least 1.")
            .Validate(o => o.NetworkTimeout > TimeSpan.Zero && o.MaxRetries >= 0 && o.RetryDelay >= TimeSpan.Zero, "Storage:NetworkTimeout must be positive, Storage:MaxRetries and Storage:RetryDelay not negative.")
            .Validate(o => o.ProbeInterval > TimeSpan.Zero && o.ProbeTimeout > TimeSpan.Zero && o.CallTimeout > TimeSpan.Zero, "Storage:ProbeInterval, Storage:ProbeTimeout and Storage:CallTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.AddSingleton(services =>
        {
            var storage = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value;
            var client = new TableClientOptions
            {
                Transport = new Azure.Core.Pipeline.HttpClientTransport(new SocketsHttpHandler
                {
                    MaxConnectionsPerServer = storage.MaxConnections,
                    // Storage endpoints move (DNS): connections are renewed now and then.
                    PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                }),
            };
            // A storage endpoint that stops answering fails a grain's read or write within about a
            // minute at most, instead of holding it for Azure's default 100 s per try.
            client.Retry.NetworkTimeout = storage.NetworkTimeout;
            client.Retry.MaxRetries = storage.MaxRetries;
            client.Retry.Delay = storage.RetryDelay;
            client.Retry.Mode = Azure.Core.RetryMode.Exponential;
            return new TableServiceClient(connectionString, client);
        });
        builder.Services.AddSingleton<StorageHealth>();
        builder.Services.AddHostedService(services => services.GetRequiredService<StorageHealth>());
        return builder;
    }
}
