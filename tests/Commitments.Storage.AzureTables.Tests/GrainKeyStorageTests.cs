using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>Every kind of grain key gets a row of its own and finds it again.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class GrainKeyStorageTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> KeyKinds => new(Keys.Keys);

    private static readonly Dictionary<string, GrainId> Keys = new()
    {
        ["string"] = GrainId.Create("commitment", "demo/3f2504e0-4f89-11d3-9a0c-0305e82c3301"),
        ["integer"] = GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateIntegerKey(-42)),
        ["guid"] = GrainId.Create(GrainType.Create("site"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"))),
        ["guid compound"] = GrainId.Create(GrainType.Create("site"), GrainIdKeyExtensions.CreateGuidKey(Guid.Parse("3f2504e0-4f89-11d3-9a0c-0305e82c3301"), "east+1")),
        ["integer compound"] = GrainId.Create(GrainType.Create("counter"), GrainIdKeyExtensions.CreateIntegerKey(7, "ext/a")),
        ["non-Latin"] = GrainId.Create("commitment", "Привет-世界-שלום-😀"),
        ["special characters"] = GrainId.Create("commitment", "a/b\\c#d?e%2Ff'g\"h+i!j~k l\t\r\n\u0001\u007f\u0085"),
        ["very long"] = GrainId.Create("commitment", string.Concat(Enumerable.Repeat("long/key-Ж-", 500))),
        ["very long, differing at the end"] = GrainId.Create("commitment", string.Concat(Enumerable.Repeat("long/key-Ж-", 500)) + "!"),
        ["look-alike a/b"] = GrainId.Create("commitment", "a/b"),
        ["look-alike a%2Fb"] = GrainId.Create("commitment", "a%2Fb"),
        ["look-alike a!2Fb"] = GrainId.Create("commitment", "a!2Fb"),
        ["look-alike a__b"] = GrainId.Create("commitment", "a__b"),
    };

    [Theory]
    [MemberData(nameof(KeyKinds))]
    public async Task AGrainWithThisKindOfKeyWritesReadsAndClearsItsState(string kind)
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = Keys[kind];
        var state = new GrainState<Note> { State = new Note { Text = kind } };

        await store.Storage.WriteStateAsync("note", grainId, state, Ct);
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync("note", grainId, read, Ct);
        read.State.ShouldBe(new Note { Text = kind });
        read.ETag.ShouldBe(state.ETag);

        await store.Storage.ClearStateAsync("note", grainId, state, Ct);
        await store.Storage.ReadStateAsync("note", grainId, read, Ct);
        read.RecordExists.ShouldBeFalse();
    }

    [Fact]
    public async Task GrainsWithEveryKindOfKeyShareATableWithoutCollisions()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);

        foreach (var (kind, grainId) in Keys)
        {
            await store.Storage.WriteStateAsync("note", grainId, new GrainState<Note> { State = new Note { Text = kind } }, Ct);
        }

        foreach (var (kind, grainId) in Keys)
        {
            var read = new GrainState<Note>();
            await store.Storage.ReadStateAsync("note", grainId, read, Ct);
            read.State.ShouldBe(new Note { Text = kind });
        }

        (await store.RowCountAsync()).ShouldBe(Keys.Count);
    }

    [Fact]
    public async Task StateNamesWithSpecialCharactersAreIndependentRecords()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = Keys["string"];
        string[] stateNames = ["a/b", "a%2Fb", "a!2Fb", "état", new string('s', 3000)];

        foreach (var stateName in stateNames)
        {
            await store.Storage.WriteStateAsync(stateName, grainId, new GrainState<Note> { State = new Note { Text = stateName } }, Ct);
        }

        foreach (var stateName in stateNames)
        {
            var read = new GrainState<Note>();
            await store.Storage.ReadStateAsync(stateName, grainId, read, Ct);
            read.State.ShouldBe(new Note { Text = stateName });
        }
    }
}
