using System.Net;
using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Index;

/// <summary>A site holds at most Index:MaxOpenPromises open promises: one more is a 409 that says what to do, and nothing is stored.</summary>
public sealed class OpenPromiseCapTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task APromisePastTheSitesCapIsRefusedWithA409AndClosingOneMakesRoom()
    {
        await using var app = new CommitmentsApp(azurite, settings: new Dictionary<string, string?> { ["Index:MaxOpenPromises"] = "2" });
        var site = await app.NewSiteAsync();
        using var desk = await app.SignInAsync("desk1", "1111", site);
        object Promise(Guid id) => new { id, what = "Extra towels", customer = new { name = "Ana", room = "412" }, dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") };

        var first = Guid.NewGuid();
        (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(first))).StatusCode.ShouldBe(HttpStatusCode.Created);
        (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(Guid.NewGuid()))).StatusCode.ShouldBe(HttpStatusCode.Created);

        var third = Guid.NewGuid();
        var refused = await (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(third))).ShouldBeProblemAsync(HttpStatusCode.Conflict, "site");
        refused.GetProperty("detail").GetString().ShouldNotBeNull().ShouldContain("Complete or cancel some");
        (await desk.GetAsync($"/api/sites/{site}/commitments/{third}")).StatusCode.ShouldBe(HttpStatusCode.NotFound);

        (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments/{first}/complete", new { })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(third))).StatusCode.ShouldBe(HttpStatusCode.Created);
    }
}
