using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;

namespace Commitments.Host.Tests.Hosting;

/// <summary>Storage frozen (Azurite stopped with SIGSTOP, connections open, nothing answering): requests answer 503 at once, and everything resumes by itself.</summary>
public sealed class StorageOutageTests
{
    [Fact]
    public async Task WhileStorageHangsTheApiAnswers503WithinSecondsAndResumesByItselfWhenItIsBack()
    {
        var own = new AzuriteFixture();
        await own.InitializeAsync();
        var app = new CommitmentsApp(own);
        try
        {
            var site = await app.NewSiteAsync();
            using var desk = await app.SignInAsync("desk1", "1111", site);
            object Promise(Guid id) => new { id, what = "Extra towels", customer = new { name = "Ana", room = "412" }, dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O") };
            (await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(Guid.NewGuid()))).StatusCode.ShouldBe(HttpStatusCode.Created);

            own.Freeze();
            try
            {
                // In flight as storage hangs, and after the host has noticed: both answer, neither waits out storage's timeouts.
                var during = Guid.NewGuid();
                var clock = Stopwatch.StartNew();
                var first = await desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(during));
                var problem = await first.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
                problem.GetProperty("title").GetString().ShouldBe("Storage is unavailable");
                first.Headers.RetryAfter.ShouldNotBeNull();
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15), "answered, not held for storage's own timeouts");

                clock.Restart();
                await (await desk.GetAsync($"/api/sites/{site}/commitments")).ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
                await (await desk.PostJsonAsync($"/api/sites/{site}/commitments/{during}/complete")).ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
                clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(15));
                (await app.CreateClient().GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);
            }
            finally
            {
                own.Thaw();
            }

            // Back by itself: ready again, and the same request now goes through (once: a retry of a
            // create that did happen meanwhile is the same promise).
            await TextingApp.EventuallyAsync(async () => (await app.CreateClient().GetAsync("/health/ready")).StatusCode, s => s == HttpStatusCode.OK, "ready again", TimeSpan.FromSeconds(60));
            var again = Guid.NewGuid();
            var created = await TextingApp.EventuallyAsync(
                () => desk.PostAsJsonAsync($"/api/sites/{site}/commitments", Promise(again)), r => r.StatusCode == HttpStatusCode.Created, "a create after storage came back", TimeSpan.FromSeconds(60));
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
        }
        finally
        {
            await app.DisposeAsync();
            await own.DisposeAsync();
        }
    }
}
