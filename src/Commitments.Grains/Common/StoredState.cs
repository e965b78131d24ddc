using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;

namespace Commitments.Grains.Common;

/// <summary>
/// Grain state read only when needed; an unread write is an insert, so creating a promise costs one round trip, not two.
/// </summary>
public sealed class StoredState<T>(IGrainStorage storage, string stateName, GrainId grainId)
    where T : new()
{
    private GrainState<T> _state = new(new T());

    public static StoredState<T> For(IGrainContext context, string stateName) => new(
        context.ActivationServices.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME),
        stateName,
        context.GrainId);

    public T State => _state.State ??= new T();

    /// <summary>Read (or written) by this activation.</summary>
    public bool Loaded { get; private set; }

    public bool RecordExists => _state.RecordExists;

    public async Task LoadAsync(CancellationToken cancellationToken = default)
    {
        var fresh = new GrainState<T>(new T());
        await storage.ReadStateAsync(stateName, grainId, fresh, cancellationToken);
        _state = fresh;
        Loaded = true;
    }

    /// <summary>Removes the stored record (the state starts over empty).</summary>
    public async Task ClearAsync(CancellationToken cancellationToken = default)
    {
        await storage.ClearStateAsync(stateName, grainId, _state, cancellationToken);
        _state = new GrainState<T>(new T());
        Loaded = true;
    }

    /// <summary>Writes the state; with nothing read first this is an insert, which fails if the record exists.</summary>
    /// <exception cref="InconsistentStateException">The stored record changed, or exists when an insert was meant.</exception>
    public async Task WriteAsync(CancellationToken cancellationToken = default)
    {
        await storage.WriteStateAsync(stateName, grainId, _state, cancellationToken);
        Loaded = true;
    }
}
