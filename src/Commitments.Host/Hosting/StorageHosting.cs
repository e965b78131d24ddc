using Azure.Data.Tables;
using Commitments.Host.Development;
using Commitments.Host.Storage;

namespace Commitments.Host.Hosting;

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
            .Validate(
                o => o.NetworkTimeout > TimeSpan.Zero && o.MaxRetries >= 0 && o.RetryDelay >= TimeSpan.Zero,
                "Storage:NetworkTimeout must be positive, Storage:MaxRetries and Storage:RetryDelay not negative.")
            .Validate(
                o => o.ProbeInterval > TimeSpan.Zero && o.ProbeTimeout > TimeSpan.Zero && o.CallTimeout > TimeSpan.Zero,
                "Storage:ProbeInterval, Storage:ProbeTimeout and Storage:CallTimeout must be positive.")
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
            // A dead endpoint fails a grain's read or write within about a minute, not Azure's 100 s per try.
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
