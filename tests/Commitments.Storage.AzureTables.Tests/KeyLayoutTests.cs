using Azure;
using Azure.Data.Tables;
using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>A table written with the first key layout (RowKey the state name alone) is moved to the current one when the provider opens it.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class KeyLayoutTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RowsOfTheFirstLayoutAreMovedOnceAndReadAsBefore()
    {
        var tableName = azurite.NewTableName("layout");
        var kept = GrainId.Create("note", "kept");
        var cleared = GrainId.Create("note", "cleared");
        var halfMoved = GrainId.Create("note", "half-moved");
        await using (var before = await StorageUnderTest.CreateAsync(azurite, tableName: tableName))
        {
            await before.Storage.WriteStateAsync("note", kept, new GrainState<Note> { State = new Note { Text = "kept", Number = 1 } }, Ct);
            await before.Storage.WriteStateAsync("other/state", kept, new GrainState<Note> { State = new Note { Text = "second state" } }, Ct);
            var gone = new GrainState<Note> { State = new Note { Text = "cleared" } };
            await before.Storage.WriteStateAsync("note", cleared, gone, Ct);
            await before.Storage.ClearStateAsync("note", cleared, gone, Ct);
            await before.Storage.WriteStateAsync("note", halfMoved, new GrainState<Note> { State = new Note { Text = "half" } }, Ct);

            // Rewrite the table as the first layout had it; one row as a move cut short left it (both copies).
            await foreach (var row in before.Table.QueryAsync<TableEntity>(cancellationToken: Ct))
            {
                if (row.PartitionKey == KeyLayout.RowKey)
                {
                    await before.Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, Ct);
                    continue;
                }

                var grainId = row.GetString("GrainId");
                var stateName = TableKey.Unescape(row.RowKey)[..^(grainId.Length + 1)];
                var old = new TableEntity(row.PartitionKey, TableKey.From(stateName));
                foreach (var (name, value) in row.Where(p => p.Key is not ("PartitionKey" or "RowKey" or "Timestamp" or "odata.etag")))
                {
                    old[name] = value;
                }

                await before.Table.AddEntityAsync(old, Ct);
                if (grainId != halfMoved.ToString())
                {
                    await before.Table.DeleteEntityAsync(row.PartitionKey, row.RowKey, ETag.All, Ct);
                }
            }
        }

        await using var after = await StorageUnderTest.CreateAsync(azurite, tableName: tableName);

        var read = new GrainState<Note>();
        await after.Storage.ReadStateAsync("note", kept, read, Ct);
        read.State.ShouldBe(new Note { Text = "kept", Number = 1 });
        read.RecordExists.ShouldBeTrue();
        read.State = read.State.ShouldNotBeNull() with { Number = 2 };
        await after.Storage.WriteStateAsync("note", kept, read, Ct);

        var second = new GrainState<Note>();
        await after.Storage.ReadStateAsync("other/state", kept, second, Ct);
        second.State.ShouldBe(new Note { Text = "second state" });

        var tombstone = new GrainState<Note>();
        await after.Storage.ReadStateAsync("note", cleared, tombstone, Ct);
        tombstone.RecordExists.ShouldBeFalse();
        tombstone.ETag.ShouldNotBeNull();

        var half = new GrainState<Note>();
        await after.Storage.ReadStateAsync("note", halfMoved, half, Ct);
        half.State.ShouldBe(new Note { Text = "half" });

        (await after.RowCountAsync()).ShouldBe(4);
        await foreach (var row in after.Table.QueryAsync<TableEntity>(e => e.PartitionKey != KeyLayout.RowKey, cancellationToken: Ct))
        {
            KeyLayout.IsFirstLayout(row).ShouldBeFalse(row.RowKey);
        }

        var found = new List<string?>();
        await foreach (var stored in after.Query.QueryAsync<Note>("note", "note/", cancellationToken: Ct))
        {
            found.Add(stored.State.Text);
        }

        found.Order().ShouldBe(["half", "kept"]);
        var layout = (await after.RawRowAsync(KeyLayout.RowKey, KeyLayout.RowKey)).ShouldNotBeNull();
        layout.GetInt32(KeyLayout.VersionProperty).ShouldBe(KeyLayout.Current);
    }

    [Fact]
    public async Task ANewTableIsMarkedWithTheCurrentLayoutAndNothingMoves()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var layout = (await store.RawRowAsync(KeyLayout.RowKey, KeyLayout.RowKey)).ShouldNotBeNull();
        layout.GetInt32(KeyLayout.VersionProperty).ShouldBe(KeyLayout.Current);

        var grainId = GrainId.Create("note", "one");
        await store.Storage.WriteStateAsync("note", grainId, new GrainState<Note> { State = new Note { Text = "one" } }, Ct);
        (await store.RawRowAsync(TableKey.From($"test-service/{grainId}"), AzureTableGrainStorage.RowKeyOf("note", grainId.ToString()))).ShouldNotBeNull();
        (await store.RawRowAsync(TableKey.From($"test-service/{grainId}"), "note")).ShouldBeNull();
    }
}
