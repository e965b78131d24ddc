using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Escalation;

[Collection(AppCollection.Name)]
public sealed class PolicyApiTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    [Fact]
    public async Task ATeamStartsWithTheDefaultPolicy()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);

        var policy = await (await desk.GetAsync($"/api/sites/{site}/teams/housekeeping/policy")).JsonAsync();

        policy.GetProperty("remindBefore").GetString().ShouldBe("00:15:00");
        policy.GetProperty("levels").GetArrayLength().ShouldBe(3);
        policy.GetProperty("levels")[1].GetProperty("notify").EnumerateArray().Select(n => n.GetString()).ShouldBe(["owner", "leads"]);
    }

    [Fact]
    public async Task AManagerSetsATeamsPolicyAndOthersCannot()
    {
        var site = await App.NewSiteAsync();
        using var mgr = await App.SignInAsync("mgr1", "999999", site);
        using var desk = await App.SignInAsync("desk1", "1111", site);
        var body = new
        {
            remindBefore = "00:05:00",
            levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } }, new { after = "00:05:00", notify = new[] { "staff:mgr1" } } },
            maxRepeats = 1,
        };

        await (await desk.PutAsJsonAsync($"/api/sites/{site}/teams/housekeeping/policy", body)).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        var saved = await (await mgr.PutAsJsonAsync($"/api/sites/{site}/teams/housekeeping/policy", body)).JsonAsync();

        saved.GetProperty("remindBefore").GetString().ShouldBe("00:05:00");
        saved.GetProperty("repeatEvery").GetString().ShouldBe("00:10:00");
        var read = await (await desk.GetAsync($"/api/sites/{site}/teams/housekeeping/policy")).JsonAsync();
        read.GetProperty("levels")[1].GetProperty("notify")[0].GetString().ShouldBe("staff:mgr1");
    }

    [Theory]
    [InlineData("""{"levels":[{"after":"00:10:00","notify":["owner"]},{"after":"00:05:00","notify":["managers"]}]}""", "levels[1].after")]
    [InlineData("""{"levels":[{"after":"00:00:00","notify":["staff:nobody"]}]}""", "levels[0].notify[0]")]
    [InlineData("""{"levels":[{"after":"00:00:00","notify":["housekeeping"]}]}""", "levels[0].notify[0]")]
    [InlineData("""{"levels":[]}""", "levels")]
    [InlineData("""{"repeatEvery":"00:00:00"}""", "repeatEvery")]
    [InlineData("""{"maxRepeats":100}""", "maxRepeats")]
    [InlineData("""{"ackTimeout":"soon"}""", "ackTimeout")]
    public async Task ABadPolicyIsAProblemNamingTheField(string body, string field)
    {
        var site = await App.NewSiteAsync();
        using var mgr = await App.SignInAsync("mgr1", "999999", site);

        var response = await mgr.PutAsync($"/api/sites/{site}/teams/housekeeping/policy",
            new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
    }

    [Fact]
    public async Task AnUnknownTeamIsNotFound()
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        await (await desk.GetAsync("/api/sites/demo/teams/spa/policy")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "team");
    }

    [Fact]
    public async Task AManagerMarksATeamLead()
    {
        var site = await App.NewSiteAsync();
        using var mgr = await App.SignInAsync("mgr1", "999999", site);

        var updated = await (await mgr.PatchAsJsonAsync($"/api/sites/{site}/staff/hk2", new { lead = true })).JsonAsync();

        updated.GetProperty("lead").GetBoolean().ShouldBeTrue();
    }
}
