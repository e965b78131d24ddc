using Commitments.Grains.Index;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Commitments.Host.Cluster;
using Commitments.Storage.AzureTables;
using Orleans.Providers;
using Orleans.Storage;

namespace Commitments.Host.Privacy;

/// <summary>
/// Moves handset records from old unkeyed names to keyed ones, finding numbers among staff and stored customers; a record
/// whose number is nobody's is removed. Cheap once done: it stops when no old record is left.
/// </summary>
internal sealed partial class PhoneKeyMove(
    IServiceProvider services, IGrainFactory grains, ICommitmentStateSource promises, ILogger<PhoneKeyMove> logger)
{
    public async Task<(int Moved, int Removed)> RunAsync(CancellationToken cancellationToken)
    {
        var query = services.GetRequiredKeyedService<IGrainStateQuery>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var storage = services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var legacyPrefix = $"{HandsetGrain.GrainTypeName}/{IHandsetGrain.LegacyKeyPrefix}";
        var legacy = new List<StoredGrainState<HandsetState>>();
        await foreach (var stored in query.QueryAsync<HandsetState>(
            HandsetGrain.StateName, legacyPrefix, cancellationToken: cancellationToken))
        {
            legacy.Add(stored);
        }

        if (legacy.Count == 0)
        {
            return (0, 0);
        }

        // Every number the service knows, by its old key.
        var numbers = new Dictionary<string, string>(StringComparer.Ordinal);
        void Know(string? e164)
        {
            if (!string.IsNullOrEmpty(e164))
            {
                numbers[IHandsetGrain.LegacyKeyFor(e164)] = e164;
            }
        }

        foreach (var site in await grains.GetGrain<ISiteRegistryGrain>(SiteRegistryGrain.Key).List())
        {
            foreach (var staff in await grains.GetGrain<ISiteGrain>(site).ListStaff(includeInactive: true))
            {
                Know(staff.Mobile);
            }

            await foreach (var promise in promises.ChangedSinceAsync(site, null, cancellationToken))
            {
                Know(promise.Customer?.Mobile);
            }
        }

        var moved = 0;
        foreach (var stored in legacy)
        {
            var key = stored.GrainId.Key.ToString()!;
            if (numbers.TryGetValue(key, out var number))
            {
                await IHandsetGrain.For(grains, number).Adopt(stored.State);
                moved++;
            }

            var old = new GrainState<HandsetState>(stored.State) { ETag = stored.ETag, RecordExists = true };
            await storage.ClearStateAsync(HandsetGrain.StateName, stored.GrainId, old);
        }

        LogMoved(logger, moved, legacy.Count - moved);
        return (moved, legacy.Count - moved);
    }

    [LoggerMessage(
        Level = LogLevel.Information,
        Message = "Phone records moved to keyed names: {Moved} moved, {Removed} of numbers nobody has removed")]
    private static partial void LogMoved(ILogger logger, int moved, int removed);
}

/// <summary>Runs <see cref="PhoneKeyMove"/> once the silo is up, on the first host of a cluster.</summary>
internal sealed partial class PhoneKeyMoveAtStartup(
    PhoneKeyMove move,
    IHostApplicationLifetime lifetime,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    ILogger<PhoneKeyMoveAtStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await lifetime.WhenStartedAsync(stoppingToken);

        if (ClusterMembership.JoinedRunningCluster(membership, silo.SiloAddress))
        {
            return;
        }

        try
        {
            await move.RunAsync(stoppingToken);
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Nothing is lost: the old records stay where they are, and the next start tries again.
            LogFailed(logger, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Moving phone records to keyed names failed; the next start tries again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
