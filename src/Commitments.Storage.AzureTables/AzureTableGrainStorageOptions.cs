using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables;

/// <summary>Settings for one <see cref="AzureTableGrainStorage"/> provider; bind them per provider name.</summary>
public sealed class AzureTableGrainStorageOptions : IStorageProviderSerializerOptions
{
    public const string DefaultTableName = "GrainState";

    /// <summary>Required unless <see cref="TableServiceClient"/> is set, which wins when both are.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>A ready client, e.g. one built with a token credential.</summary>
    public TableServiceClient? TableServiceClient { get; set; }

    /// <summary>Created at silo start if missing.</summary>
    public string TableName { get; set; } = DefaultTableName;

    /// <summary>
    /// Clearing deletes the row (ETag null). Default false: a tombstone row keeps the ETag advancing, so a stale
    /// writer is still caught after a clear.
    /// </summary>
    public bool DeleteStateOnClear { get; set; }

    /// <summary>Default: the provider-named or global <see cref="IGrainStorageSerializer"/>, as for Orleans' own providers.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;

    /// <summary>The silo lifecycle stage at which the table is created.</summary>
    public int InitStage { get; set; } = ServiceLifecycleStage.ApplicationServices;
}

/// <summary>Fails silo start-up when an <see cref="AzureTableGrainStorageOptions"/> cannot work.</summary>
public sealed partial class AzureTableGrainStorageOptionsValidator(AzureTableGrainStorageOptions options, string name)
    : IConfigurationValidator
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
