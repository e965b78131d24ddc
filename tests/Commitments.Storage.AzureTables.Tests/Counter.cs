namespace Commitments.Storage.AzureTables.Tests;

/// <summary>A grain that keeps its count in the default storage and a copy in a named one.</summary>
[Alias("storage-tests.counter")]
public interface ICounterGrain : IGrainWithStringKey
{
    [Alias("add")]
    Task<int> AddAsync(int amount);

    [Alias("get")]
    Task<(int Default, int Named)> GetAsync();

    [Alias("reset")]
    Task ResetAsync();
}

[GenerateSerializer, Alias("storage-tests.counter-state")]
public sealed record CounterState
{
    [Id(0)] public int Value { get; init; }
}

[GrainType("counter")]
public sealed class CounterGrain(
    [PersistentState(CounterGrain.StateName)] IPersistentState<CounterState> counter,
    [PersistentState(CounterGrain.StateName, CounterGrain.NamedStorage)] IPersistentState<CounterState> copy) : Grain, ICounterGrain
{
    public const string StateName = "counter";
    public const string NamedStorage = "named";

    public async Task<int> AddAsync(int amount)
    {
        counter.State = counter.State with { Value = counter.State.Value + amount };
        copy.State = counter.State;
        await counter.WriteStateAsync();
        await copy.WriteStateAsync();
        return counter.State.Value;
    }

    public Task<(int Default, int Named)> GetAsync() => Task.FromResult((counter.State.Value, copy.State.Value));

    public async Task ResetAsync()
    {
        await counter.ClearStateAsync();
        await copy.ClearStateAsync();
    }
}
