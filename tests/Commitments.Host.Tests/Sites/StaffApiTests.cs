using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Sites;

[Collection(AppCollection.Name)]
public sealed class StaffApiTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    [Fact]
    public async Task AManagerAddsUpdatesAndDeactivatesStaff()
    {
        var site = await App.NewSiteAsync();
        using var mgr = await App.SignInAsync("mgr1", "999999", site);

        var created = await mgr.PostAsJsonAsync($"/api/sites/{site}/staff",
            new { id = "fb1", name = "Ines Ruiz", mobile = "202-555-0188", role = "staff", team = "food-and-beverage", pin = "5555" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        (await created.JsonAsync()).GetProperty("mobile").GetString().ShouldBe("+12025550188");

        using var fb = await App.SignInAsync("fb1", "5555", site);
        var updated = await mgr.PatchAsJsonAsync($"/api/sites/{site}/staff/fb1", new { team = "housekeeping" });
        (await updated.JsonAsync()).GetProperty("team").GetString().ShouldBe("housekeeping");

        await fb.PostAsJsonAsync($"/api/sites/{site}/commitments",
            new { what = "Room service", customer = new { name = "Ana" }, dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") });
        var deactivated = await (await mgr.PostJsonAsync($"/api/sites/{site}/staff/fb1/deactivate")).JsonAsync();

        deactivated.GetProperty("staff").GetProperty("active").GetBoolean().ShouldBeFalse();
        deactivated.GetProperty("openPromises").GetArrayLength().ShouldBe(1);
        (await fb.GetAsync($"/api/sites/{site}/commitments")).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task OnlyManagersChangeStaffAndMobilesAreMaskedForOthers()
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        await (await desk.PostAsJsonAsync("/api/sites/demo/staff",
            new { id = "x1", name = "X", mobile = "+12025550100", role = "staff", team = "housekeeping", pin = "1234" }))
            .ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await desk.PatchAsJsonAsync("/api/sites/demo/staff/hk1", new { role = "manager" })).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        var staff = await (await desk.GetAsync("/api/sites/demo/staff")).JsonAsync();
        staff.GetProperty("items").EnumerateArray().ShouldAllBe(s => s.GetProperty("mobile").GetString()!.Contains("***"));
    }

    [Fact]
    public async Task BadStaffFieldsAreNamed()
    {
        using var mgr = await App.SignInAsync("mgr1", "999999");

        var problem = await (await mgr.PostAsJsonAsync("/api/sites/demo/staff",
            new { id = "Bad Id", name = "", mobile = "5", role = "boss", team = "spa", pin = "12" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest);

        problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order().ShouldBe(["id", "mobile", "name", "pin", "role", "team"]);
    }
}
