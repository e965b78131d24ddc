using System.Net.Http.Json;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Testing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Providers;
using Orleans.Storage;

namespace Commitments.Host.Tests.Index;

/// <summary>
/// The index is derived data. A promise whose write reached storage but whose index update never
/// happened (the process died in between) must still be listed once the index activates again.
/// </summary>
public sealed class IndexHealingTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task APromiseStoredButNeverIndexedIsListedAfterARestart()
    {
        var table = azurite.NewTableName("heal");
        Guid orphan;
        await using (var before = new CommitmentsApp(azurite, table))
        {
            using var desk = await before.SignInAsync("desk1", "1111");
            await desk.PostAsJsonAsync("/api/sites/demo/commitments", Body("Indexed normally"));
            orphan = await WriteBehindTheIndexAsync(before, "Stored, then the process died");

            var listed = await ListAsync(desk);
            listed.ShouldBe(["Indexed normally"]);
        }

        await using var after = new CommitmentsApp(azurite, table);
        using var client = await after.SignInAsync("desk1", "1111");

        (await ListAsync(client)).Order().ShouldBe(["Indexed normally", "Stored, then the process died"]);
        var view = await (await client.GetAsync($"/api/sites/demo/commitments/{orphan}")).JsonAsync();
        view.GetProperty("owner").GetString().ShouldBe("desk1");
    }

    [Fact]
    public async Task ALostIndexSnapshotIsRebuiltFromStoredPromises()
    {
        var table = azurite.NewTableName("rebuild");
        await using (var before = new CommitmentsApp(azurite, table))
        {
            using var desk = await before.SignInAsync("desk1", "1111");
            await desk.PostAsJsonAsync("/api/sites/demo/commitments", Body("One"));
            await desk.PostAsJsonAsync("/api/sites/demo/commitments", Body("Two"));
        }

        await using (var wipe = new CommitmentsApp(azurite, table))
        {
            var storage = wipe.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
            var id = GrainId.Create(SiteIndexGrainType, "demo");
            for (var page = 0; page < Grains.Index.SiteIndexGrain.FirstPages; page++)
            {
                var state = new GrainState<Grains.Index.SiteIndexState>();
                await storage.ReadStateAsync(Grains.Index.SiteIndexGrain.PageStateName(page), id, state);
                await storage.ClearStateAsync(Grains.Index.SiteIndexGrain.PageStateName(page), id, state);
            }
        }

        await using var after = new CommitmentsApp(azurite, table);
        using var client = await after.SignInAsync("desk1", "1111");
        (await ListAsync(client)).Order().ShouldBe(["One", "Two"]);
    }

    private const string SiteIndexGrainType = Grains.Index.SiteIndexGrain.GrainTypeName;

    private static object Body(string what) =>
        new { what, customer = new { name = "Ana" }, dueAt = DateTimeOffset.UtcNow.AddHours(2).ToString("O") };

    private static async Task<string[]> ListAsync(HttpClient client) =>
        [.. (await (await client.GetAsync("/api/sites/demo/commitments")).JsonAsync()).GetProperty("items").EnumerateArray()
            .Select(i => i.GetProperty("what").GetString()!)];

    /// <summary>Writes a promise's state exactly as the grain would, without the index update that follows it.</summary>
    private static async Task<Guid> WriteBehindTheIndexAsync(CommitmentsApp app, string what)
    {
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        var state = new CommitmentState
        {
            Id = id,
            Site = "demo",
            What = what,
            Customer = new Customer("Ana", null, null, false, null),
            PromisedBy = "desk1",
            Owner = "desk1",
            DueAt = now.AddHours(2),
            CreatedAt = now,
            History = [new HistoryEvent(1, now, Actor.Staff("desk1"), EventTypes.Created, new Dictionary<string, string>())],
        };
        var storage = app.Services.GetRequiredKeyedService<IGrainStorage>(ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        await storage.WriteStateAsync(CommitmentGrain.StateName,
            GrainId.Create(CommitmentGrain.GrainTypeName, CommitmentKey.For("demo", id)),
            new GrainState<CommitmentState>(state));
        return id;
    }
}
