using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Commitments.Host.Tests.Texts;

/// <summary>
/// A staff mobile a manager types is texted a code through the local Twilio; until the phone replies
/// VERIFY and the code it gets no staff texts and its replies do not act as the person.
/// </summary>
[Collection(TextingCollection.Name)]
public sealed class StaffPhoneVerificationTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private static string Reply(JsonElement result) => result.GetProperty("replies").EnumerateArray().Select(r => r.GetString()).SingleOrDefault() ?? "";

    private static async Task<JsonElement> AddAsync(TextsTestSite site, HttpClient manager, string id, string mobile)
    {
        var created = await manager.PostAsJsonAsync($"/api/sites/{site.Id}/staff",
            new { id, name = "Lee Park", mobile, role = "staff", team = "housekeeping", pin = "4321" });
        created.StatusCode.ShouldBe(HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        return await created.JsonAsync();
    }

    [Fact]
    public async Task ANewStaffPhoneActsOnlyAfterItAnswersItsCode()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var manager = await site.SignInAsync("mgr1");
        using var desk = await site.SignInAsync("desk1");
        var mobile = TextingApp.NewMobile();

        var added = await AddAsync(site, manager, "hk3", mobile);

        added.GetProperty("mobileVerified").GetBoolean().ShouldBeFalse();
        added.GetProperty("verificationSentAt").ValueKind.ShouldBe(JsonValueKind.String);
        var code = TextsTestSite.Body((await site.SentAsync(mobile, 1)).Single());
        code.ShouldStartWith("Harborview Hotel: Lee Park, your manager added this phone for your work texts. Reply VERIFY ");

        // Before it answers: a handoff to the person is not texted to the phone, and its YES does nothing.
        var url = await site.PromiseAsync(desk, TextingApp.NewMobile(), handoffTo: "hk3");
        await TextingApp.EventuallyAsync(
            () => site.ViewAsync(desk, url),
            v => v.GetProperty("texts").EnumerateArray().Any(t => t.GetProperty("kind").GetString() == "handoff-offered" && t.GetProperty("status").GetString() == "skipped"),
            "the offer's text to the unverified phone skipped");
        (await Texting.SentToAsync(mobile)).Count.ShouldBe(1, "only the code");
        Reply(await Texting.HandsetSendsAsync(mobile, "YES")).ShouldBe("");
        (await site.ViewAsync(desk, url)).GetProperty("owner").GetString().ShouldBe("desk1");

        await TextingApp.AnswerVerificationAsync(Texting.Control, mobile);

        await TextingApp.EventuallyAsync(
            async () => await (await manager.GetAsync($"/api/sites/{site.Id}/staff/hk3")).JsonAsync(),
            s => s.GetProperty("mobileVerified").GetBoolean(),
            "the phone verified");
        var code2 = (await site.ViewAsync(desk, url)).GetProperty("replyCode").GetString()!;
        Reply(await Texting.HandsetSendsAsync(mobile, $"YES {code2}")).ShouldBe($"{code2} is yours now: Extra towels.");
    }

    [Fact]
    public async Task AManagerSendsANewCodeAtMostOnceAMinute()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var manager = await site.SignInAsync("mgr1");
        using var staff = await site.SignInAsync("hk1");
        var mobile = TextingApp.NewMobile();
        await AddAsync(site, manager, "hk3", mobile);

        var problem = await (await manager.PostJsonAsync($"/api/sites/{site.Id}/staff/hk3/verification")).ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        problem.GetProperty("errors").GetProperty("mobile")[0].GetString()!.ShouldContain("wait a minute");
        await (await staff.PostJsonAsync($"/api/sites/{site.Id}/staff/hk3/verification")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await manager.PostJsonAsync($"/api/sites/{site.Id}/staff/nobody/verification")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
        await (await manager.PostJsonAsync($"/api/sites/{site.Id}/staff/hk1/verification")).ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }
}
