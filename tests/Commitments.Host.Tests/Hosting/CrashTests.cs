using System.Net;
using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Hosting;

/// <summary>The real host as its own process, killed without warning right after a 201.</summary>
[Collection(HostProcessCollection.Name)]
public sealed class CrashTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task APromiseAcknowledgedWith201SurvivesAKillOfTheProcess()
    {
        var table = azurite.NewTableName("crash");
        Guid id;
        using (var first = await HostProcess.StartAsync(azurite, table))
        {
            using var desk = await first.SignInAsync("desk1", "1111");
            var created = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
            {
                what = "Wake-up call at 6",
                customer = new { name = "Ana", room = "301" },
                dueAt = DateTimeOffset.UtcNow.AddHours(6).ToString("O"),
            });
            created.StatusCode.ShouldBe(HttpStatusCode.Created);
            id = (await created.JsonAsync()).GetProperty("id").GetGuid();

            first.Kill();
        }

        using var second = await HostProcess.StartAsync(azurite, table);
        using var client = await second.SignInAsync("desk1", "1111");

        var view = await (await client.GetAsync($"/api/sites/demo/commitments/{id}")).JsonAsync();
        view.GetProperty("what").GetString().ShouldBe("Wake-up call at 6");
        var list = await (await client.GetAsync("/api/sites/demo/commitments")).JsonAsync();
        list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ShouldContain(id);
    }
}

/// <summary>
/// Tests that run the host as child processes take turns, and run alone: three hosts starting, killed
/// and started again beside the browser and escalation tests on 2 cores starve those tests' timing.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostProcessCollection
{
    public const string Name = "host processes";
}
