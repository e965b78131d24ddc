using Azure.Data.Tables;

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
            .ValidateOnStart();
        builder.Services.AddSingleton(services => new TableServiceClient(connectionString, new TableClientOptions
        {
            Transport = new Azure.Core.Pipeline.HttpClientTransport(new SocketsHttpHandler
            {
                MaxConnectionsPerServer = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.MaxConnections,
                // Storage endpoints move (DNS): connections are renewed now and then.
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            }),
        }));
        return builder;
    }
}
