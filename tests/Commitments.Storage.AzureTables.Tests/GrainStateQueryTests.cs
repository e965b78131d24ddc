using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>Reading stored states in bulk to rebuild derived data.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class GrainStateQueryTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueryReturnsEveryLiveStateWhoseGrainIdStartsWithThePrefix()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var demo1 = await WriteAsync(store, "commitment", "demo/1", "note", "one");
        var demo2 = await WriteAsync(store, "commitment", "demo/2", "note", "two");
        var longKey = await WriteAsync(store, "commitment", "demo/" + new string('Ж', 2000), "note", "long");
        await WriteAsync(store, "commitment", "demo2/3", "note", "other key prefix");
        await WriteAsync(store, "commitment", "other/4", "note", "other key");
        await WriteAsync(store, "commitments", "demo/5", "note", "other grain type");
        await WriteAsync(store, "commitment", "demo/6", "other-state", "other state name");
        await WriteAsync(store, "commitment", "demo/8", "note/x", "a state name that starts with this one and a slash");
        await WriteAsync(store, "commitment", "demo/9", "note", "two states of one grain");
        await WriteAsync(store, "commitment", "demo/9", "note/demo/9", "its other state");
        var cleared = await WriteAsync(store, "commitment", "demo/7", "note", "cleared");
        await store.Storage.ClearStateAsync("note", cleared.GrainId, new GrainState<Note> { ETag = cleared.ETag }, Ct);

        var found = await QueryAsync(store, "note", "commitment/demo/");

        found.Select(s => (s.GrainId, s.State, s.ETag)).OrderBy(s => s.State.Text).ShouldBe(
        [
            (longKey.GrainId, new Note { Text = "long" }, longKey.ETag),
            (demo1.GrainId, new Note { Text = "one" }, demo1.ETag),
            (demo2.GrainId, new Note { Text = "two" }, demo2.ETag),
            (GrainId.Create("commitment", "demo/9"), new Note { Text = "two states of one grain" }, found.Single(f => f.GrainId.ToString() == "commitment/demo/9").ETag),
        ]);
    }

    [Fact]
    public async Task AnEmptyPrefixReturnsEveryGrainOfThisServiceOnly()
    {
        var tableName = azurite.NewTableName();
        await using var store = await StorageUnderTest.CreateAsync(azurite, serviceId: "service", tableName: tableName);
        await using var otherService = await StorageUnderTest.CreateAsync(azurite, serviceId: "service2", tableName: tableName);
        await WriteAsync(store, "site", "a", "note", "a");
        await WriteAsync(store, "commitment", "b", "note", "b");
        await WriteAsync(otherService, "site", "c", "note", "other service");

        var found = await QueryAsync(store, "note", "");

        found.Select(s => s.State.Text).Order().ShouldBe(["a", "b"]);
    }

    [Fact]
    public async Task QueryWithChangedSinceReturnsOnlyStatesChangedAtOrAfterThatTime()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        await WriteAsync(store, "commitment", "old", "note", "old");
        var oldModified = (await QueryAsync(store, "note", "commitment/")).Single().LastModified;

        // Rewrite until the table's clock has moved past the first write, instead of sleeping.
        var recent = await WriteAsync(store, "commitment", "recent", "note", "recent");
        var recentState = new GrainState<Note> { State = new Note { Text = "recent" }, ETag = recent.ETag };
        DateTimeOffset recentModified;
        while ((recentModified = (await QueryAsync(store, "note", "commitment/recent")).Single().LastModified) <= oldModified)
        {
            await store.Storage.WriteStateAsync("note", recent.GrainId, recentState, Ct);
        }

        var changed = await QueryAsync(store, "note", "commitment/", changedSince: recentModified);
        var all = await QueryAsync(store, "note", "commitment/", changedSince: oldModified);

        changed.Select(s => s.State.Text).ShouldBe(["recent"]);
        changed.Single().LastModified.ShouldBe(recentModified);
        all.Select(s => s.State.Text).Order().ShouldBe(["old", "recent"]);
    }

    [Fact]
    public async Task APrefixQueryReturnsEveryNumberedStateOfTheGrainsAndSaysWhichItIs()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        await WriteAsync(store, "site-index", "demo", "page-0", "demo 0");
        await WriteAsync(store, "site-index", "demo", "page-12", "demo 12");
        await WriteAsync(store, "site-index", "other", "page-3", "other 3");
        await WriteAsync(store, "site-index", "demo", "pages", "not a page: another name");
        await WriteAsync(store, "site-index", "demo", "note", "another state");
        await WriteAsync(store, "commitment", "demo", "page-1", "another grain type");
        var cleared = await WriteAsync(store, "site-index", "demo", "page-4", "cleared");
        await store.Storage.ClearStateAsync("page-4", cleared.GrainId, new GrainState<Note> { ETag = cleared.ETag }, Ct);

        var found = new List<StoredGrainState<Note>>();
        await foreach (var stored in store.Query.QueryByStateNamePrefixAsync<Note>("page-", "site-index/", cancellationToken: Ct))
        {
            found.Add(stored);
        }

        found.Select(s => (s.GrainId.ToString(), s.StateName, s.State.Text)).OrderBy(s => s.Item3).ShouldBe(
        [
            ("site-index/demo", "page-0", "demo 0"),
            ("site-index/demo", "page-12", "demo 12"),
            ("site-index/other", "page-3", "other 3"),
        ]);
    }

    [Fact]
    public async Task TheQueryIsResolvableByProviderName()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        await WriteAsync(store, "commitment", "demo/1", "note", "one");

        var found = new List<StoredGrainState<Note>>();
        await foreach (var stored in store.Query.QueryAsync<Note>("note", "commitment/demo/", cancellationToken: Ct))
        {
            found.Add(stored);
        }

        found.Single().GrainId.ShouldBe(GrainId.Create("commitment", "demo/1"));
    }

    private static async Task<(GrainId GrainId, string ETag)> WriteAsync(StorageUnderTest store, string type, string key, string stateName, string text)
    {
        var grainId = GrainId.Create(type, key);
        var state = new GrainState<Note> { State = new Note { Text = text } };
        await store.Storage.WriteStateAsync(stateName, grainId, state, Ct);
        return (grainId, state.ETag.ShouldNotBeNull());
    }

    private static async Task<List<StoredGrainState<Note>>> QueryAsync(StorageUnderTest store, string stateName, string prefix, DateTimeOffset? changedSince = null)
    {
        var found = new List<StoredGrainState<Note>>();
        await foreach (var stored in store.Provider.QueryAsync<Note>(stateName, prefix, changedSince, Ct))
        {
            found.Add(stored);
        }

        return found;
    }
}
