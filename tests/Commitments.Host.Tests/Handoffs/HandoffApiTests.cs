using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Handoffs;

[Collection(AppCollection.Name)]
public sealed class HandoffApiTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    private async Task<string> PromiseAsync(HttpClient client, string site, string? handoffTo = null)
    {
        var response = await client.PostAsJsonAsync($"/api/sites/{site}/commitments", new
        {
            what = "Fix the shower",
            customer = new { name = "Ana", room = "210" },
            dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
            handoffTo,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        return $"/api/sites/{site}/commitments/{(await response.JsonAsync()).GetProperty("id").GetString()}";
    }

    [Fact]
    public async Task TheOwnerChangesOnlyWhenTheNamedPersonAccepts()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var eng = await App.SignInAsync("eng1", "3333", site);
        using var hk = await App.SignInAsync("hk1", "2222", site);
        var url = await PromiseAsync(desk, site);

        var offered = await (await desk.PostAsJsonAsync($"{url}/handoff", new { to = "eng1", note = "Leaking" })).JsonAsync();
        offered.GetProperty("owner").GetString().ShouldBe("desk1");

        await (await hk.PostJsonAsync($"{url}/handoff/accept")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        var accepted = await eng.PostJsonAsync($"{url}/handoff/accept");

        accepted.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await accepted.JsonAsync()).GetProperty("owner").GetString().ShouldBe("eng1");
    }

    [Fact]
    public async Task ActionsWhoseBodyIsOptionalTakeAPostWithNoBodyAtAll()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var eng = await App.SignInAsync("eng1", "3333", site);
        // As `curl -X POST` sends it: no body, no Content-Type.
        static Task<HttpResponseMessage> Bare(HttpClient client, string url, string? fetchSite = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, url);
            if (fetchSite is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", fetchSite);
            }

            return client.SendAsync(request);
        }

        var withdrawn = await PromiseAsync(desk, site, handoffTo: "eng1");
        (await Bare(desk, $"{withdrawn}/handoff/withdraw")).StatusCode.ShouldBe(HttpStatusCode.OK);
        var url = await PromiseAsync(desk, site, handoffTo: "eng1");
        (await Bare(eng, $"{url}/handoff/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Bare(eng, $"{url}/acknowledge", "same-origin")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await Bare(eng, $"{url}/complete")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // A call whose body is required says so; a bare call a browser made from another site, and any
        // body that is not JSON, stay refused.
        var other = await PromiseAsync(desk, site);
        await (await Bare(desk, $"{other}/cancel")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body");
        await (await Bare(desk, $"{other}/complete", "cross-site")).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "body");
        await (await desk.PostAsync($"{other}/complete", new StringContent("", System.Text.Encoding.UTF8, "text/plain"))).ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "body");
        (await (await desk.GetAsync(other)).JsonAsync()).GetProperty("status").GetString().ShouldBe("open");
    }

    [Fact]
    public async Task DecliningWithoutAReasonIsAProblemNamingTheReason()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var eng = await App.SignInAsync("eng1", "3333", site);
        var url = await PromiseAsync(desk, site, handoffTo: "eng1");

        await (await eng.PostAsJsonAsync($"{url}/handoff/decline", new { reason = "" })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "reason");
        var declined = await (await eng.PostAsJsonAsync($"{url}/handoff/decline", new { reason = "Not a plumbing job" })).JsonAsync();

        declined.GetProperty("owner").GetString().ShouldBe("desk1");
        declined.GetProperty("pendingHandoff").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
    }

    [Fact]
    public async Task ClosedPromisesAcceptOnlyNotesWith409SayingWhy()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        var url = await PromiseAsync(desk, site);
        (await desk.PostAsJsonAsync($"{url}/cancel", new { reason = "Guest left" })).StatusCode.ShouldBe(HttpStatusCode.OK);

        var problem = await (await desk.PostAsJsonAsync($"{url}/handoff", new { to = "hk1" })).ShouldBeProblemAsync(HttpStatusCode.Conflict);
        problem.GetProperty("detail").GetString()!.ShouldContain("cancelled");
        (await desk.PostAsJsonAsync($"{url}/notes", new { text = "Refunded the minibar" })).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task EveryActionWorksThroughTheApi()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var mgr = await App.SignInAsync("mgr1", "999999", site);
        var url = await PromiseAsync(desk, site, handoffTo: "hk1");
        var later = DateTimeOffset.UtcNow.AddHours(3).ToString("O");

        (await desk.PostJsonAsync($"{url}/handoff/withdraw")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await desk.PostAsJsonAsync($"{url}/reschedule", new { dueAt = later, reason = "Guest out until 5" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await desk.PostAsJsonAsync($"{url}/notes", new { text = "Called the guest" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await desk.PostAsJsonAsync($"{url}/complete", new { note = "Fixed" })).StatusCode.ShouldBe(HttpStatusCode.OK);
        var reopened = await (await mgr.PostAsJsonAsync($"{url}/reopen", new { dueAt = later, reason = "Still dripping" })).JsonAsync();

        reopened.GetProperty("status").GetString().ShouldBe("open");
        var types = reopened.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToArray();
        types.ShouldBe(["created", "handoff-proposed", "handoff-withdrawn", "rescheduled", "note-added", "completed", "reopened"]);
    }

    [Fact]
    public async Task TheOwnerAcknowledgesWithMinutesAndBadMinutesAreNamed()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var hk = await App.SignInAsync("hk2", "2223", site);
        var url = await PromiseAsync(desk, site);

        await (await hk.PostJsonAsync($"{url}/acknowledge")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
        await (await desk.PostAsJsonAsync($"{url}/acknowledge", new { minutes = 0 })).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "minutes");
        var acked = await (await desk.PostAsJsonAsync($"{url}/acknowledge", new { minutes = 30 })).JsonAsync();

        var last = acked.GetProperty("history").EnumerateArray().Last();
        last.GetProperty("type").GetString().ShouldBe("acknowledged");
        last.GetProperty("details").GetProperty("by").GetString().ShouldBe("desk1");
    }

    [Fact]
    public async Task CompletingSomeoneElsesPromiseIs403()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var hk = await App.SignInAsync("hk2", "2223", site);
        var url = await PromiseAsync(desk, site);

        await (await hk.PostJsonAsync($"{url}/complete")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);
    }
}
