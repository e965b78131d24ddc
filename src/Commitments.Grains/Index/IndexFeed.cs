using Commitments.Grains.Commitments;
using Microsoft.Extensions.Logging;

namespace Commitments.Grains.Index;

/// <summary>
/// Tells the index after each write, one update at a time: two in flight could swap, reverting a same-version entry.
/// A lost update heals when the index next reads stored state.
/// </summary>
public sealed partial class IndexFeed(IGrainFactory grains, ILogger logger)
{
    private Task _updates = Task.CompletedTask;

    /// <summary>Tells the index what is stored now, after the updates before it; never throws.</summary>
    public Task TellAsync(string site, CommitmentState state) => _updates = TellAfterAsync(_updates, site, IndexEntry.From(state));

    private async Task TellAfterAsync(Task before, string site, IndexEntry entry)
    {
        await before;
        try
        {
            await grains.GetGrain<ISiteIndexGrain>(site).Upsert(entry);
        }
        catch (OperationCanceledException)
        {
            // The silo is stopping: the index catches up from stored state when it next activates.
        }
        catch (Exception ex)
        {
            LogIndexUpdateFailed(logger, ex, entry.Id);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Index update for promise {CommitmentId} failed; the index will heal from stored state")]
    private static partial void LogIndexUpdateFailed(ILogger logger, Exception exception, Guid commitmentId);
}
