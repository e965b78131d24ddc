using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Sites;

[Collection(AppCollection.Name)]
public sealed class SiteIsolationTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    [Fact]
    public async Task StaffOfOneSiteCanNeverSeeOrTouchAnothersData()
    {
        var other = await App.NewSiteAsync();
        using var theirs = await App.SignInAsync("desk1", "1111", other);
        var created = await theirs.PostAsJsonAsync($"/api/sites/{other}/commitments",
            new { what = "Secret", customer = new { name = "VIP" }, dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") });
        var url = created.Headers.Location!.ToString();
        using var demo = await App.SignInAsync("mgr1", "999999");

        foreach (var response in new[]
        {
            await demo.GetAsync(url),
            await demo.GetAsync($"/api/sites/{other}/commitments"),
            await demo.GetAsync($"/api/sites/{other}/staff"),
            await demo.GetAsync($"/api/sites/{other}"),
            await demo.GetAsync($"/api/sites/{other}/staff/desk1/inbox"),
            await demo.PostJsonAsync($"{url}/complete"),
            await demo.PostAsJsonAsync($"{url}/notes", new { text = "hi" }),
            await demo.PostAsJsonAsync($"/api/sites/{other}/commitments", new { what = "x", customer = new { name = "y" }, dueAt = DateTimeOffset.UtcNow.AddDays(1).ToString("O") }),
            await demo.PostAsJsonAsync($"/api/sites/{other}/staff", new { id = "spy", name = "Spy", mobile = "+12025550100", role = "manager", team = "front-desk", pin = "1234" }),
        })
        {
            await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "site");
        }

        var stillThere = await (await theirs.GetAsync(url)).JsonAsync();
        stillThere.GetProperty("history").GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task APromiseIdFromAnotherSiteIsNotFoundUnderYourSite()
    {
        var other = await App.NewSiteAsync();
        using var theirs = await App.SignInAsync("desk1", "1111", other);
        var created = await (await theirs.PostAsJsonAsync($"/api/sites/{other}/commitments",
            new { what = "Secret", customer = new { name = "VIP" }, dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") })).JsonAsync();
        using var demo = await App.SignInAsync("desk1", "1111");

        var response = await demo.GetAsync($"/api/sites/demo/commitments/{created.GetProperty("id").GetString()}");

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound, "id");
    }
}
