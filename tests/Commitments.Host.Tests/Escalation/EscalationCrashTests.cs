extern alias localtwilio;

using System.Net.Http.Json;
using Commitments.Host.Tests.Hosting;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;
using localtwilio::Commitments.LocalTwilio;

namespace Commitments.Host.Tests.Escalation;

/// <summary>The host as its own process, killed with steps about to come due; they run once after the restart.</summary>
[Collection(HostProcessCollection.Name)]
public sealed class EscalationCrashTests(AzuriteFixture azurite)
{
    private const string Desk = "+12025550141";
    private const string Manager = "+12025550145";

    [Fact]
    public async Task StepsThatCameDueWhileTheProcessWasDownRunOnceAfterARestartAndSayHowLate()
    {
        await using var fake = await StartFakeTwilioAsync();
        using var control = new HttpClient { BaseAddress = fake.BaseUrl };
        var table = azurite.NewTableName("escrash");
        var port = AzuriteFixture.GetFreeTcpPort();
        var environment = Environment(fake, port);

        string url;
        DateTimeOffset dueAt;
        using (var first = await HostProcess.StartAsync(azurite, table, environment, port))
        {
            using var mgr = await first.SignInAsync("mgr1", "999999");
            (await mgr.PutAsJsonAsync("/api/sites/demo/teams/front-desk/policy", new
            {
                remindBefore = "00:00:00",
                levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } }, new { after = "00:00:01", notify = new[] { "managers" } } },
                maxRepeats = 0,
                customerApologyAfter = "01:00:00",
            })).EnsureSuccessStatusCode();
            using var desk = await first.SignInAsync("desk1", "1111");
            dueAt = DateTimeOffset.UtcNow.AddSeconds(3);
            var created = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
            {
                what = "Crib for room 12",
                customer = new { name = "Ana", room = "12" },
                dueAt = dueAt.ToString("O"),
            });
            created.EnsureSuccessStatusCode();
            url = created.Headers.Location!.ToString();

            first.Kill();
        }

        // Down until both levels (at the deadline and a second later) have come due.
        var wait = dueAt.AddSeconds(2) - DateTimeOffset.UtcNow;
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, TestContext.Current.CancellationToken);
        }

        using var second = await HostProcess.StartAsync(azurite, table, environment, port);
        using var client = await second.SignInAsync("desk1", "1111");
        var view = await TextingApp.EventuallyAsync(
            async () => await (await client.GetAsync(url)).JsonAsync(),
            v => EscalationSite.Events(v, "escalated").Count == 2 && v.GetProperty("texts").EnumerateArray().All(t => t.GetProperty("status").GetString() == "delivered"),
            "both levels, taken after the restart, with their texts delivered", TimeSpan.FromSeconds(60));

        var escalated = EscalationSite.Events(view, "escalated");
        escalated.Select(e => EscalationSite.Detail(e, "texted")).ShouldBe(["desk1", "mgr1"]);
        foreach (var e in escalated)
        {
            int.Parse(EscalationSite.Detail(e, "delayedSeconds"), System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(1);
            EscalationSite.Detail(e, "delayReason").ShouldContain("reconcile pass");
        }

        (await SentCountAsync(control, Desk)).ShouldBe(1);
        (await SentCountAsync(control, Manager)).ShouldBe(1);
    }

    /// <summary>The local Twilio, delivering each text a moment after it is sent.</summary>
    internal static Task<LocalTwilioServer> StartFakeTwilioAsync() => LocalTwilioServer.StartAsync(new LocalTwilioOptions
    {
        PhoneNumbers = [new PhoneNumberOptions { Number = TextingApp.OurNumber }],
        Lifecycle = new LifecycleOptions { Auto = true, StepDelay = TimeSpan.FromMilliseconds(20) },
    });

    /// <summary>A host process's settings: texts through <paramref name="fake"/>, escalation on a clock of seconds.</summary>
    internal static Dictionary<string, string> Environment(LocalTwilioServer fake, int port) => new()
    {
        ["Twilio__AccountSid"] = fake.Options.AccountSid,
        ["Twilio__ApiKeySid"] = fake.Options.ApiKeySid,
        ["Twilio__ApiKeySecret"] = fake.Options.ApiKeySecret,
        ["Twilio__AuthToken"] = fake.Options.AuthToken,
        ["Twilio__From"] = TextingApp.OurNumber,
        ["Twilio__BaseUrl"] = fake.BaseUrl.ToString(),
        ["Twilio__PublicBaseUrl"] = $"http://127.0.0.1:{port}",
        ["Ledger__MinimumLead"] = "00:00:00.500",
        ["Escalation__JobLead"] = "00:00:01",
        ["Escalation__PerPersonInterval"] = "00:00:00",
        ["Hangfire__SchedulePollingInterval"] = "00:00:00.200",
    };

    /// <summary>How many texts the local Twilio holds for a number.</summary>
    internal static async Task<int> SentCountAsync(HttpClient control, string to) =>
        (await control.GetFromJsonAsync<System.Text.Json.JsonElement>($"/_fake/messages?to={Uri.EscapeDataString(to)}"))
            .EnumerateArray().Count(m => m.GetProperty("direction").GetString() != "inbound");
}
