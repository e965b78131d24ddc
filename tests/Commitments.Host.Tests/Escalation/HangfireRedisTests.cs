using System.Net.Http.Json;
using Commitments.Host.Tests.Hosting;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;
using Hangfire.Redis.StackExchange;

namespace Commitments.Host.Tests.Escalation;

/// <summary>
/// <c>Hangfire:Storage = redis</c> against a real Redis server: the host's jobs run from Redis, and a
/// job outlives a kill of the process, so the step after the restart is taken by its own job, on time,
/// with nothing for the reconcile pass to make up.
/// </summary>
[Collection(HostProcessCollection.Name)]
public sealed class HangfireRedisTests(AzuriteFixture azurite, RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Desk = "+12025550141";
    private const string Manager = "+12025550145";

    [Fact]
    public async Task WithRedisAScheduledStepOutlivesAKillAndRunsOnTimeAfterTheRestart()
    {
        await using var fake = await EscalationCrashTests.StartFakeTwilioAsync();
        using var control = new HttpClient { BaseAddress = fake.BaseUrl };
        var table = azurite.NewTableName("esredis");
        var port = AzuriteFixture.GetFreeTcpPort();
        var environment = EscalationCrashTests.Environment(fake, port);
        environment["Escalation__JobLead"] = "00:00:02";
        environment["Hangfire__Storage"] = "redis";
        environment["Hangfire__Redis"] = redis.Configuration;

        string url;
        using (var first = await HostProcess.StartAsync(azurite, table, environment, port))
        {
            using var mgr = await first.SignInAsync("mgr1", "999999");
            (await mgr.PutAsJsonAsync("/api/sites/demo/teams/front-desk/policy", new
            {
                remindBefore = "00:00:00",
                levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } }, new { after = "00:00:20", notify = new[] { "managers" } } },
                maxRepeats = 0,
                customerApologyAfter = "01:00:00",
            })).EnsureSuccessStatusCode();
            using var desk = await first.SignInAsync("desk1", "1111");
            var created = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
            {
                what = "Crib for room 12",
                customer = new { name = "Ana", room = "12" },
                dueAt = DateTimeOffset.UtcNow.AddSeconds(3).ToString("O"),
            });
            created.EnsureSuccessStatusCode();
            url = created.Headers.Location!.ToString();

            // Level 1 runs from its job in Redis; level 2's job is then scheduled there too.
            await TextingApp.EventuallyAsync(
                async () => await (await desk.GetAsync(url)).JsonAsync(),
                v => EscalationSite.Events(v, "escalated").Count == 1,
                "level 1, from its Hangfire job in Redis", TimeSpan.FromSeconds(30));
            await TextingApp.EventuallyAsync(
                () => Task.FromResult(Scheduled()),
                count => count >= 1,
                "level 2's job scheduled in Redis", TimeSpan.FromSeconds(10));

            first.Kill();
        }

        // Redis still holds the job after the kill: nothing in it belonged to the process.
        Scheduled().ShouldBeGreaterThanOrEqualTo(1);

        using var second = await HostProcess.StartAsync(azurite, table, environment, port);
        using var client = await second.SignInAsync("desk1", "1111");
        var view = await TextingApp.EventuallyAsync(
            async () => await (await client.GetAsync(url)).JsonAsync(),
            v => EscalationSite.Events(v, "escalated").Count == 2,
            "level 2, after the restart", TimeSpan.FromSeconds(60));

        var level2 = EscalationSite.Events(view, "escalated")[1];
        EscalationSite.Detail(level2, "texted").ShouldBe("mgr1");
        EscalationSite.Detail(level2, "delayReason").ShouldBe("", "taken on time by the job Redis kept, not made up by the reconcile pass");
        (await EscalationCrashTests.SentCountAsync(control, Desk)).ShouldBe(1);
        (await TextingApp.EventuallyAsync(() => EscalationCrashTests.SentCountAsync(control, Manager), n => n >= 1, "the manager's text", TimeSpan.FromSeconds(10))).ShouldBe(1);
    }

    private long Scheduled()
    {
        using var connection = StackExchange.Redis.ConnectionMultiplexer.Connect(redis.Configuration);
        return new RedisStorage(connection, new RedisStorageOptions { Prefix = "commitments:hangfire:" }).GetMonitoringApi().ScheduledCount();
    }
}
