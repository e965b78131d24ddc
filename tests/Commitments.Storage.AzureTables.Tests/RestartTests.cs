using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

[Collection(nameof(AzuriteCollection))]
public sealed class RestartTests(AzuriteFixture azurite)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StateSurvivesARestartOfAzurite()
    {
        var tableName = azurite.NewTableName();
        var grainId = GrainId.Create("note", "survivor");
        var state = new GrainState<Note> { State = new Note { Text = "before restart", Number = 1 } };
        await using (var before = await StorageUnderTest.CreateAsync(azurite, tableName: tableName))
        {
            await before.Storage.WriteStateAsync("note", grainId, state, Ct);
        }

        await azurite.RestartAsync();

        await using var after = await StorageUnderTest.CreateAsync(azurite, tableName: tableName);
        var read = new GrainState<Note>();
        await after.Storage.ReadStateAsync("note", grainId, read, Ct);
        read.State.ShouldBe(new Note { Text = "before restart", Number = 1 });
        read.ETag.ShouldBe(state.ETag);
        read.State = read.State.ShouldNotBeNull() with { Number = 2 };
        await after.Storage.WriteStateAsync("note", grainId, read, Ct);
    }
}
