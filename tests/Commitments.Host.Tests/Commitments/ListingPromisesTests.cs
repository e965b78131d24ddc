using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Commitments;

[Collection(AppCollection.Name)]
public sealed class ListingPromisesTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    private static async Task<string> PromiseAsync(HttpClient client, string site, int dueInMinutes, string? handoffTo = null)
    {
        var response = await client.PostAsJsonAsync($"/api/sites/{site}/commitments", new
        {
            what = $"Due in {dueInMinutes}",
            customer = new { name = "Ana" },
            dueAt = DateTimeOffset.UtcNow.AddMinutes(dueInMinutes).ToString("O"),
            handoffTo,
        });
        return (await response.JsonAsync()).GetProperty("id").GetString()!;
    }

    private static async Task<string[]> WhatAsync(HttpClient client, string url) =>
        [.. (await (await client.GetAsync(url)).JsonAsync()).GetProperty("items").EnumerateArray().Select(i => i.GetProperty("what").GetString()!)];

    [Fact]
    public async Task DoneIsUndoneByWhoeverMarkedItAndByNobodyElse()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var manager = await App.SignInAsync("mgr1", "999999", site);
        var id = await PromiseAsync(desk, site, 60);
        await desk.PostJsonAsync($"/api/sites/{site}/commitments/{id}/complete");

        await (await manager.PostJsonAsync($"/api/sites/{site}/commitments/{id}/complete/undo")).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        var undone = await desk.PostJsonAsync($"/api/sites/{site}/commitments/{id}/complete/undo");

        undone.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await undone.JsonAsync()).GetProperty("status").GetString().ShouldBe("open");
        await (await desk.PostJsonAsync($"/api/sites/{site}/commitments/{id}/complete/undo")).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task ListsFilterByStatusOwnerAndTeamSoonestFirst()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var hk = await App.SignInAsync("hk1", "2222", site);
        await PromiseAsync(desk, site, 90);
        await PromiseAsync(desk, site, 20);
        var handed = await PromiseAsync(desk, site, 45, handoffTo: "hk1");
        await hk.PostJsonAsync($"/api/sites/{site}/commitments/{handed}/handoff/accept");
        var done = await PromiseAsync(desk, site, 60);
        await desk.PostJsonAsync($"/api/sites/{site}/commitments/{done}/complete");

        (await WhatAsync(desk, $"/api/sites/{site}/commitments")).ShouldBe(["Due in 20", "Due in 45", "Due in 90"]);
        (await WhatAsync(desk, $"/api/sites/{site}/commitments?status=open&owner=desk1")).ShouldBe(["Due in 20", "Due in 90"]);
        (await WhatAsync(desk, $"/api/sites/{site}/commitments?team=housekeeping")).ShouldBe(["Due in 45"]);
        (await WhatAsync(desk, $"/api/sites/{site}/commitments?status=done")).ShouldBe(["Due in 60"]);
        (await WhatAsync(desk, $"/api/sites/{site}/commitments?limit=1")).ShouldBe(["Due in 20"]);
    }

    [Fact]
    public async Task TheInboxHasWhatIOwnAndWhatIsOfferedToMe()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var hk = await App.SignInAsync("hk2", "2223", site);
        await PromiseAsync(desk, site, 30, handoffTo: "hk2");
        await PromiseAsync(hk, site, 50);

        var inbox = await (await hk.GetAsync($"/api/sites/{site}/staff/hk2/inbox")).JsonAsync();

        inbox.GetProperty("owned").EnumerateArray().Select(i => i.GetProperty("what").GetString()).ShouldBe(["Due in 50"]);
        inbox.GetProperty("offeredToMe").EnumerateArray().Select(i => i.GetProperty("what").GetString()).ShouldBe(["Due in 30"]);
        await (await desk.GetAsync($"/api/sites/{site}/staff/hk2/inbox")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
    }

    [Theory]
    [InlineData("status=late", "status")]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=lots", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("team=spa", "team")]
    [InlineData("owner=ghost", "owner")]
    public async Task BadListParametersAreNamed(string query, string field)
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        await (await desk.GetAsync($"/api/sites/demo/commitments?{query}")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }
}
