using Azure.Data.Tables;

namespace Commitments.Host.Hosting;

/// <summary>Where grain state lives (section "Storage"; connection string "ConnectionStrings:Storage").</summary>
public sealed class StorageOptions
{
    /// <summary>The table that holds every grain's state (default "CommitmentsGrainState").</summary>
    public string TableName { get; set; } = "CommitmentsGrainState";
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

        builder.Services.AddOptions<StorageOptions>().BindConfiguration("Storage");
        builder.Services.AddSingleton(new TableServiceClient(connectionString));
        return builder;
    }
}
