using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables;

/// <summary>Settings for one <see cref="AzureTableGrainStorage"/> provider; bind them per provider name.</summary>
public sealed class AzureTableGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>The default for <see cref="TableName"/>.</summary>
    public const string DefaultTableName = "GrainState";

    /// <summary>
    /// Storage account connection string. Either this or <see cref="TableServiceClient"/> is required; the client
    /// wins when both are set.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>A ready client, e.g. one built with a token credential. Default: none, use <see cref="ConnectionString"/>.</summary>
    public TableServiceClient? TableServiceClient { get; set; }

    /// <summary>The table grain states are stored in; created at silo start if missing. Default: "GrainState".</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// When true, clearing a state deletes its row (and the ETag becomes null). Default false: clearing leaves a
    /// tombstone row, so the ETag keeps advancing and a stale writer is still caught after a clear.
    /// </summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>
    /// Serializes grain state. Default: the provider-named or the global <see cref="IGrainStorageSerializer"/>
    /// registered in the container, as for Orleans' own providers.
    /// </summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>The silo lifecycle stage at which the table is created. Default: application services.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;
}

/// <summary>Fails silo start-up when an <see cref="AzureTableGrainStorageOptions"/> cannot work.</summary>
public sealed partial class AzureTableGrainStorageOptionsValidator(AzureTableGrainStorageOptions options, string name) : IConfigurationValidator
{
    public void ValidateConfiguration()
    {
        var problem = FindProblem(options);
        if (problem is not null)
        {
            throw new OrleansConfigurationException($"Azure table grain storage '{name}': {problem}");
        }
    }

    internal static string? FindProblem(AzureTableGrainStorageOptions options)
    {
        if (options.TableServiceClient is null && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            return $"set {nameof(options.ConnectionString)} or {nameof(options.TableServiceClient)}.";
        }

        if (options.TableName is null || !TableNamePattern().IsMatch(options.TableName))
        {
            return $"{nameof(options.TableName)} '{options.TableName}' is not a valid table name (a letter, then 2 to 62 letters or digits).";
        }

        if (options.GrainStorageSerializer is null)
        {
            return $"no {nameof(options.GrainStorageSerializer)} is set and none is registered in the container.";
        }

        return null;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableNamePattern();
}
