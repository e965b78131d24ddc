using Commitments.Grains.Commitments;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Texts;

/// <summary>A phone's grain: what a text to staff costs it, and what a bare reply then means.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HandsetTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ATextToAStaffPhoneIsNotedWithoutReadingThePhone()
    {
        var handset = IHandsetGrain.For(fixture.Grains, "+1202557" + Random.Shared.Next(1000, 9999));
        var now = fixture.Time.GetUtcNow();

        await handset.Texted(new HandsetText("t-site", Guid.NewGuid(), "escalated", "hk1", null, now));
        await ActiveAsync(handset);
        fixture.Storage.Reads(handset.GetGrainId()).ShouldBe(0);

        // Anything else reads it, once.
        (await handset.IsOptedOut()).ShouldBeFalse();
        (await handset.IsOptedOut()).ShouldBeFalse();
        fixture.Storage.Reads(handset.GetGrainId()).ShouldBe(1);
    }

    [Fact]
    public async Task ABareDoneActsOnThePromiseTextedLast()
    {
        var site = await fixture.NewSiteAsync();
        var (older, _) = await site.PromiseAsync(by: "hk1", what: "Extra towels");
        var (newer, _) = await site.PromiseAsync(by: "hk1", what: "Fix the lamp");
        var mobile = (await site.Site.ListStaff(includeInactive: false)).Single(s => s.Id == "hk1").Mobile;
        var handset = IHandsetGrain.For(fixture.Grains, mobile);
        var now = fixture.Time.GetUtcNow();
        await handset.Texted(new HandsetText(site.Id, (await newer.Get())!.Id, "escalated", "hk1", null, now - TimeSpan.FromMinutes(1)));
        await handset.Texted(new HandsetText(site.Id, (await older.Get())!.Id, "escalated", "hk1", null, now - TimeSpan.FromMinutes(5)));
        // One-way calls are not awaited; an awaited call behind them on the same activation is.
        await handset.IsOptedOut();

        var reply = await handset.Receive(new InboundText("SM" + Guid.NewGuid().ToString("N"), "DONE"));

        reply.Outcome.ShouldBe("done", reply.Message);
        (await newer.Get())!.Status.ShouldBe(CommitmentStatus.Done);
        (await older.Get())!.Status.ShouldBe(CommitmentStatus.Open);
    }

    // One-way calls are not awaited: the phone's activation existing is the sign one arrived.
    private async Task ActiveAsync(IHandsetGrain handset)
    {
        var management = fixture.Grains.GetGrain<IManagementGrain>(0);
        for (var i = 0; i < 1000; i++)
        {
            var activations = await management.GetDetailedGrainStatistics();
            if (activations.Any(a => a.GrainId == handset.GetGrainId()))
            {
                return;
            }
        }

        throw new TimeoutException("The phone's activation did not come.");
    }
}
