using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Sites;

/// <summary>Every site of this deployment (one grain, key <see cref="SiteRegistryGrain.Key"/>), for work that sweeps all sites.</summary>
public interface ISiteRegistryGrain : IGrainWithStringKey
{
    [Idempotent]
    Task Add(string site);

    [Idempotent]
    Task<IReadOnlyList<string>> List();

    /// <summary>Keeps every site's text sweep running; every host calls it, so the registry returns wherever a silo died.</summary>
    [Idempotent]
    Task KeepSweeping(TimeSpan interval);

    /// <summary>
    /// A silo died: every site sweeps a claim's length ahead to take over its claims, and keeps sweeping every <paramref name="interval"/>.
    /// </summary>
    [Idempotent]
    Task SweepAhead(TimeSpan interval);
}

[GenerateSerializer, Alias("commitments.site-registry-state")]
public sealed class SiteRegistryState
{
    [Id(0)] public SortedSet<string> Sites { get; set; } = new(StringComparer.Ordinal);
}

public sealed class SiteRegistryGrain(
    [PersistentState(SiteRegistryGrain.StateName)] IPersistentState<SiteRegistryState> registry) : Grain, ISiteRegistryGrain
{
    public const string Key = "all";
    public const string StateName = "sites";

    /// <summary>An index that died with its silo comes back within this.</summary>
    public static readonly TimeSpan KeepInterval = TimeSpan.FromSeconds(5);

    private IGrainTimer? _keep;
    private TimeSpan _interval;

    public async Task Add(string site)
    {
        if (registry.State.Sites.Add(site))
        {
            await registry.WriteStateAsync();
            if (_keep is not null)
            {
                // A new site sweeps from now on (a known one already does, or will at the next tick).
                await Index(site).SweepTexts(_interval, TimeSpan.Zero);
            }
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. registry.State.Sites]);

    public Task KeepSweeping(TimeSpan interval)
    {
        if (_keep is null || interval != _interval)
        {
            _keep?.Dispose();
            _interval = interval;
            _keep = this.RegisterGrainTimer(() => TellEverySite(TimeSpan.Zero), new GrainTimerCreationOptions(TimeSpan.Zero, KeepInterval)
            {
                Interleave = true,
                KeepAlive = true,
            });
        }

        return Task.CompletedTask;
    }

    public async Task SweepAhead(TimeSpan interval)
    {
        await KeepSweeping(interval);
        await TellEverySite(TextOutboxes.AttemptLease);
    }

    private Task TellEverySite(TimeSpan lookAhead) =>
        Task.WhenAll(registry.State.Sites.ToList().Select(site => Index(site).SweepTexts(_interval, lookAhead)));

    private ISiteIndexGrain Index(string site) => GrainFactory.GetGrain<ISiteIndexGrain>(site);
}
