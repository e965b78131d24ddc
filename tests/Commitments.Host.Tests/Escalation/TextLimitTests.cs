using Commitments.Grains.Commitments;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;

namespace Commitments.Host.Tests.Escalation;

/// <summary>No alert fatigue: one escalation text per person per interval; more are held, shown as held, then bundled.</summary>
public sealed class TextLimitTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task EscalationsDueTogetherForOnePersonGoAsOneTextThenOneBundleAndHeldOnesSaySo()
    {
        await using var texting = await TextingApp.StartAsync(azurite, settings: EscalationFixture.Settings(perPerson: TimeSpan.FromSeconds(8)));
        var site = await EscalationSite.CreateAsync(texting);
        await site.PolicyAsync(new
        {
            remindBefore = "00:00:00",
            levels = new object[] { new { after = "00:00:00", notify = new[] { "owner" } } },
            maxRepeats = 0,
            customerApologyAfter = "01:00:00",
        });
        using var desk = await site.SignInAsync("desk1");
        var urls = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            urls.Add((await site.PromiseAsync(desk, TimeSpan.FromSeconds(2))).Url);
        }

        // While the limit holds them, two of the three say so, with the reason (read from the grains: the API's rate limit would slow the polling).
        var grains = urls.Select(u => texting.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site.Id, Guid.Parse(u.Split('/')[^1])))).ToList();
        var held = await TextingApp.EventuallyAsync(
            async () => (await Task.WhenAll(grains.Select(g => g.Get()))).SelectMany(v => v!.Texts).Where(t => t.Status == "held").ToList(),
            h => h.Count >= 1, "a held text");
        held[0].Reason!.ShouldStartWith("Held: Dana Whitfield gets at most one escalation text a minute");

        var sent = (await site.SentAsync("desk1", 2)).Select(TextsTestSite.Body).ToList();
        sent[0].ShouldContain("min late: Extra towels");
        sent[1].ShouldStartWith("Overdue, 2 promises need you now: ");
        sent[1].ShouldContain("(Dana Whitfield)");

        var statuses = await TextingApp.EventuallyAsync(
            async () => (await Task.WhenAll(grains.Select(g => g.Get()))).Select(v => v!.Texts.Single().Status).Order().ToList(),
            s => s.Count(x => x == "delivered") == 2, "the single text and the bundle delivered");
        statuses.ShouldBe(["bundled", "delivered", "delivered"]);
        (await site.BodiesAsync("desk1")).Count.ShouldBe(2);
    }
}
