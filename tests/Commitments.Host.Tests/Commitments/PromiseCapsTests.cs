using System.Net;
using System.Net.Http.Json;

namespace Commitments.Host.Tests.Commitments;

/// <summary>A promise's record is capped well inside storage's limit: each cap is a 409 saying which and what to do, and the promise stays completable.</summary>
[Collection(AppCollection.Name)]
public sealed class PromiseCapsTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    [Fact]
    public async Task APromiseDrivenToEveryCapIsStillCompletable()
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);
        using var eng = await App.SignInAsync("eng1", "3333", site);
        var created = await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", new
        {
            what = "Fix the shower",
            customer = new { name = "Ana", room = "210" },
            dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
        });
        var url = $"/api/sites/{site}/commitments/{(await created.JsonAsync()).GetProperty("id").GetString()}";

        async Task UpToCap(int cap, Func<int, Task<HttpResponseMessage>> act, string what)
        {
            for (var i = 0; i < cap; i++)
            {
                (await act(i)).StatusCode.ShouldBe(HttpStatusCode.OK, $"{what} {i + 1} of {cap}");
            }

            var refused = await (await act(cap)).ShouldBeProblemAsync(HttpStatusCode.Conflict, "commitment");
            var detail = refused.GetProperty("detail").GetString().ShouldNotBeNull();
            detail.ShouldContain(what);
            detail.ShouldContain("start a new promise");
        }

        await UpToCap(Grains.Commitments.PromiseCaps.Notes, i => desk.PostAsJsonAsync($"{url}/notes", new { text = $"Note {i}" }), "notes");
        await UpToCap(Grains.Commitments.PromiseCaps.Deadlines,
            i => desk.PostAsJsonAsync($"{url}/reschedule", new { dueAt = DateTimeOffset.UtcNow.AddHours(2).AddMinutes(i).ToString("O"), reason = "Parts are late" }), "new deadlines");
        await UpToCap(Grains.Commitments.PromiseCaps.Handoffs, async i =>
        {
            var offered = await desk.PostAsJsonAsync($"{url}/handoff", new { to = "eng1" });
            if (offered.StatusCode == HttpStatusCode.OK)
            {
                (await desk.PostJsonAsync($"{url}/handoff/withdraw")).EnsureSuccessStatusCode();
            }

            return offered;
        }, "handoffs offered");
        await UpToCap(Grains.Commitments.PromiseCaps.Acknowledgements, _ => desk.PostJsonAsync($"{url}/acknowledge"), "acknowledgements");

        // Full on every count, and still done in one tap.
        var done = await desk.PostJsonAsync($"{url}/complete");
        done.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await done.JsonAsync()).GetProperty("status").GetString().ShouldBe("done");
        (await eng.GetAsync(url)).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
