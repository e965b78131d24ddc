using Commitments.Testing;
using Orleans.Storage;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>The IGrainStorage contract, as Orleans' own providers and its storage test kit define it.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class GrainStorageContractTests(AzuriteFixture azurite)
{
    private const string StateName = "note";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ReadingAStateThatWasNeverWrittenGivesAFreshStateAndNoETag()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var state = new GrainState<Note> { State = new Note { Text = "stale", Number = 1 }, ETag = "stale", RecordExists = true };

        await store.Storage.ReadStateAsync(StateName, NewGrainId(), state, Ct);

        state.RecordExists.ShouldBeFalse();
        state.ETag.ShouldBeNull();
        state.State.ShouldBe(new Note());
    }

    [Fact]
    public async Task AWrittenStateReadsBackWithTheSameETag()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = NewGrainId();
        var written = new GrainState<Note> { State = new Note { Text = "Привет, мир", Number = 42 } };

        await store.Storage.WriteStateAsync(StateName, grainId, written, Ct);
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);

        written.RecordExists.ShouldBeTrue();
        written.ETag.ShouldNotBeNull();
        read.RecordExists.ShouldBeTrue();
        read.ETag.ShouldBe(written.ETag);
        read.State.ShouldBe(new Note { Text = "Привет, мир", Number = 42 });
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task EveryWriteAndClearChangesTheETag(bool deleteStateOnClear)
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear);
        var grainId = NewGrainId();
        var state = new GrainState<Note> { State = new Note { Text = "same" } };
        var etags = new List<string?> { state.ETag };

        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        etags.Add(state.ETag);
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        etags.Add(state.ETag);
        await store.Storage.ClearStateAsync(StateName, grainId, state, Ct);
        etags.Add(state.ETag);
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        etags.Add(state.ETag);

        for (var i = 1; i < etags.Count; i++)
        {
            etags[i].ShouldNotBe(etags[i - 1], $"operation {i} kept the ETag");
        }

        etags.Where(etag => etag is not null).Distinct().Count().ShouldBe(etags.Count(etag => etag is not null));
    }

    [Fact]
    public async Task WritingWithAStaleETagThrowsAndLeavesTheStoredStateAsItWas()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = NewGrainId();
        var current = new GrainState<Note> { State = new Note { Text = "initial" } };
        await store.Storage.WriteStateAsync(StateName, grainId, current, Ct);
        var staleETag = current.ETag;
        current.State = new Note { Text = "latest" };
        await store.Storage.WriteStateAsync(StateName, grainId, current, Ct);

        var stale = new GrainState<Note> { State = new Note { Text = "stale" }, ETag = staleETag, RecordExists = true };
        var exception = await Should.ThrowAsync<InconsistentStateException>(() => store.Storage.WriteStateAsync(StateName, grainId, stale, Ct));

        exception.CurrentEtag.ShouldBe(staleETag);
        exception.StoredEtag.ShouldBe(current.ETag);
        exception.Message.ShouldContain(grainId.ToString());
        await ShouldBeStoredAsync(store, grainId, new Note { Text = "latest" }, current.ETag);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClearingWithAStaleETagThrowsAndLeavesTheStoredStateAsItWas(bool deleteStateOnClear)
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear);
        var grainId = NewGrainId();
        var current = new GrainState<Note> { State = new Note { Text = "initial" } };
        await store.Storage.WriteStateAsync(StateName, grainId, current, Ct);
        var staleETag = current.ETag;
        current.State = new Note { Text = "latest" };
        await store.Storage.WriteStateAsync(StateName, grainId, current, Ct);

        var stale = new GrainState<Note> { State = new Note(), ETag = staleETag, RecordExists = true };
        var exception = await Should.ThrowAsync<InconsistentStateException>(() => store.Storage.ClearStateAsync(StateName, grainId, stale, Ct));

        exception.StoredEtag.ShouldBe(current.ETag);
        await ShouldBeStoredAsync(store, grainId, new Note { Text = "latest" }, current.ETag);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WritingAsNewOverAnExistingRecordThrowsAndLeavesItAsItWas(bool clear)
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear: true);
        var grainId = NewGrainId();
        var first = new GrainState<Note> { State = new Note { Text = "first activation" } };
        await store.Storage.WriteStateAsync(StateName, grainId, first, Ct);

        // A second activation that read before the first one wrote believes there is no record.
        var second = new GrainState<Note> { State = new Note { Text = "second activation" } };
        var exception = await Should.ThrowAsync<InconsistentStateException>(() => clear
            ? store.Storage.ClearStateAsync(StateName, grainId, second, Ct)
            : store.Storage.WriteStateAsync(StateName, grainId, second, Ct));

        exception.CurrentEtag.ShouldBeNull();
        exception.StoredEtag.ShouldBe(first.ETag);
        await ShouldBeStoredAsync(store, grainId, new Note { Text = "first activation" }, first.ETag);
    }

    [Fact]
    public async Task ClearingKeepsATombstoneSoAStaleWriterIsStillCaught()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear: false);
        var grainId = NewGrainId();
        var state = new GrainState<Note> { State = new Note { Text = "to be cleared" } };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        var beforeClear = state.ETag;

        await store.Storage.ClearStateAsync(StateName, grainId, state, Ct);

        state.RecordExists.ShouldBeFalse();
        state.State.ShouldBe(new Note());
        state.ETag.ShouldNotBeNull();
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.RecordExists.ShouldBeFalse();
        read.State.ShouldBe(new Note());
        read.ETag.ShouldBe(state.ETag);
        (await store.RowCountAsync()).ShouldBe(1);

        var staleWriter = new GrainState<Note> { State = new Note { Text = "stale" }, ETag = beforeClear };
        await Should.ThrowAsync<InconsistentStateException>(() => store.Storage.WriteStateAsync(StateName, grainId, staleWriter, Ct));
        var staleInserter = new GrainState<Note> { State = new Note { Text = "stale" } };
        await Should.ThrowAsync<InconsistentStateException>(() => store.Storage.WriteStateAsync(StateName, grainId, staleInserter, Ct));

        state.State = new Note { Text = "after clear" };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        await ShouldBeStoredAsync(store, grainId, new Note { Text = "after clear" }, state.ETag);
    }

    [Fact]
    public async Task ClearingWithDeleteStateOnClearRemovesTheRowAndAWriteAfterItInsertsAgain()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear: true);
        var grainId = NewGrainId();
        var state = new GrainState<Note> { State = new Note { Text = "to be deleted" } };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        var beforeClear = state.ETag;

        await store.Storage.ClearStateAsync(StateName, grainId, state, Ct);

        state.RecordExists.ShouldBeFalse();
        state.ETag.ShouldBeNull();
        state.State.ShouldBe(new Note());
        (await store.RowCountAsync()).ShouldBe(0);
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.RecordExists.ShouldBeFalse();
        read.ETag.ShouldBeNull();

        var staleWriter = new GrainState<Note> { State = new Note { Text = "stale" }, ETag = beforeClear };
        await Should.ThrowAsync<InconsistentStateException>(() => store.Storage.WriteStateAsync(StateName, grainId, staleWriter, Ct));

        state.State = new Note { Text = "after delete" };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        await ShouldBeStoredAsync(store, grainId, new Note { Text = "after delete" }, state.ETag);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ClearingBeforeAnyWriteAndClearingTwiceWork(bool deleteStateOnClear)
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite, deleteStateOnClear);
        var grainId = NewGrainId();
        var state = new GrainState<Note> { State = new Note { Text = "never written" }, RecordExists = true };

        await store.Storage.ClearStateAsync(StateName, grainId, state, Ct);
        await store.Storage.ClearStateAsync(StateName, grainId, state, Ct);

        state.RecordExists.ShouldBeFalse();
        state.State.ShouldBe(new Note());
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.RecordExists.ShouldBeFalse();
        read.ETag.ShouldBe(state.ETag);
    }

    [Fact]
    public async Task StateNamesOfOneGrainAreIndependentRecords()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = NewGrainId();
        var first = new GrainState<Note> { State = new Note { Text = "first" } };
        var second = new GrainState<Note> { State = new Note { Text = "second" } };

        await store.Storage.WriteStateAsync("first", grainId, first, Ct);
        await store.Storage.WriteStateAsync("second", grainId, second, Ct);
        await store.Storage.ClearStateAsync("first", grainId, first, Ct);

        var firstRead = new GrainState<Note>();
        var secondRead = new GrainState<Note>();
        await store.Storage.ReadStateAsync("first", grainId, firstRead, Ct);
        await store.Storage.ReadStateAsync("second", grainId, secondRead, Ct);
        firstRead.RecordExists.ShouldBeFalse();
        secondRead.RecordExists.ShouldBeTrue();
        secondRead.State.ShouldBe(new Note { Text = "second" });
        secondRead.ETag.ShouldBe(second.ETag);
    }

    [Fact]
    public async Task ParallelWritesToTwoHundredGrainsAllLand()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grains = Enumerable.Range(0, 200)
            .Select(i => (Id: GrainId.Create("parallel", $"grain-{i}"), State: new GrainState<Note> { State = new Note { Number = i } }))
            .ToList();

        await Parallel.ForEachAsync(grains, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = Ct }, async (grain, ct) =>
        {
            for (var round = 1; round <= 3; round++)
            {
                var before = grain.State.ETag;
                grain.State.State = grain.State.State! with { Text = $"round {round}" };
                await store.Storage.WriteStateAsync(StateName, grain.Id, grain.State, ct);
                grain.State.ETag.ShouldNotBe(before);
            }
        });

        foreach (var (id, state) in grains)
        {
            await ShouldBeStoredAsync(store, id, state.State!, state.ETag);
        }

        (await store.RowCountAsync()).ShouldBe(200);
    }

    [Fact]
    public async Task TheSameGrainInTwoServicesIsStoredTwice()
    {
        var tableName = azurite.NewTableName();
        await using var first = await StorageUnderTest.CreateAsync(azurite, serviceId: "service", tableName: tableName);
        await using var second = await StorageUnderTest.CreateAsync(azurite, serviceId: "service2", tableName: tableName);
        var grainId = NewGrainId();

        await first.Storage.WriteStateAsync(StateName, grainId, new GrainState<Note> { State = new Note { Text = "first" } }, Ct);
        await second.Storage.WriteStateAsync(StateName, grainId, new GrainState<Note> { State = new Note { Text = "second" } }, Ct);

        var read = new GrainState<Note>();
        await first.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.State.ShouldBe(new Note { Text = "first" });
        (await first.RowCountAsync()).ShouldBe(2);
    }

    [Fact]
    public void AProviderWithoutAConnectionIsRefusedUpFront()
    {
        var problem = AzureTableGrainStorageOptionsValidator.FindProblem(new AzureTableGrainStorageOptions());

        problem.ShouldNotBeNull().ShouldContain("ConnectionString");
    }

    private static GrainId NewGrainId() => GrainId.Create("note", Guid.NewGuid().ToString("N"));

    private static async Task ShouldBeStoredAsync(StorageUnderTest store, GrainId grainId, Note expected, string? etag)
    {
        var read = new GrainState<Note>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.RecordExists.ShouldBeTrue();
        read.State.ShouldBe(expected);
        read.ETag.ShouldBe(etag);
    }
}
