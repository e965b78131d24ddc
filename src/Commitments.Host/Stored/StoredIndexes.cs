using System.Runtime.CompilerServices;
using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Commitments.Storage.AzureTables;
using Orleans.Providers;

namespace Commitments.Host.Stored;

/// <summary>Reads a site's promises back from grain storage, for the index to heal after a crash.</summary>
internal sealed class StoredCommitments(IServiceProvider services) : ICommitmentStateSource
{
    public async IAsyncEnumerable<CommitmentState> ChangedSinceAsync(
        string site, DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = services.GetRequiredKeyedService<IGrainStateQuery>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var prefix = $"{CommitmentGrain.GrainTypeName}/{site}/";
        await foreach (var stored in query.QueryAsync<CommitmentState>(CommitmentGrain.StateName, prefix, since, cancellationToken))
        {
            yield return stored.State;
        }
    }
}

/// <summary>Reads every site's stored index pages in one query, for the start-up reconcile pass.</summary>
internal sealed class StoredSiteIndexes(IServiceProvider services) : IStoredSiteIndexes
{
    public async IAsyncEnumerable<(string Site, IndexEntry Entry)> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var query = services.GetRequiredKeyedService<IGrainStateQuery>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);

        // A promise's entry may be on two pages after a partial write (it moved): the newest counts.
        var newest = new Dictionary<(string Site, Guid Id), IndexEntry>();
        await foreach (var stored in query.QueryByStateNamePrefixAsync<SiteIndexState>(
            SiteIndexGrain.PagePrefix, $"{SiteIndexGrain.GrainTypeName}/", cancellationToken: cancellationToken))
        {
            var site = stored.GrainId.Key.ToString()!;
            foreach (var entry in stored.State.Entries)
            {
                if (!newest.TryGetValue((site, entry.Id), out var known) || known.Version < entry.Version)
                {
                    newest[(site, entry.Id)] = entry;
                }
            }
        }

        foreach (var ((site, _), entry) in newest)
        {
            yield return (site, entry);
        }
    }
}

/// <summary>The site indexes as stored at start, read once and shared by the start-up passes (reconcile, first text sweep).</summary>
public sealed class StartupIndexSnapshot(IStoredSiteIndexes stored)
{
    private readonly Lock _gate = new();
    private Task<List<(string Site, IndexEntry Entry)>>? _read;

    /// <summary>Read by the first caller and shared, until <see cref="Release"/>.</summary>
    public Task<List<(string Site, IndexEntry Entry)>> GetAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_read is null || _read.IsFaulted || _read.IsCanceled)
            {
                _read = stored.ReadAllAsync(CancellationToken.None).ToListAsync().AsTask();
            }

            return _read.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The start-up passes are done: the memory goes.</summary>
    public void Release()
    {
        lock (_gate)
        {
            _read = null;
        }
    }
}
