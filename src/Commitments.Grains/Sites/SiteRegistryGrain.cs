namespace Commitments.Grains.Sites;

/// <summary>Every site of this deployment (one grain, key <see cref="SiteRegistryGrain.Key"/>), for work that sweeps all sites.</summary>
public interface ISiteRegistryGrain : IGrainWithStringKey
{
    Task Add(string site);

    Task<IReadOnlyList<string>> List();
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

    public async Task Add(string site)
    {
        if (registry.State.Sites.Add(site))
        {
            await registry.WriteStateAsync();
        }
    }

    public Task<IReadOnlyList<string>> List() => Task.FromResult<IReadOnlyList<string>>([.. registry.State.Sites]);
}
