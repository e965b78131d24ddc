using Commitments.Grains.Commitments;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Texts;

/// <summary>A phone's grain: what a text to staff costs it, and what a bare reply then means.</summary>
[Collection(ClusterCollection.Name)]
public sealed class HandsetTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ATextToStaffIsNotedWithoutReadingThePhoneAndABareDoneActsOnTheNewest()
    {
        var site = await fixture.NewSiteAsync();
        var (older, _) = await site.PromiseAsync(by: "hk1", what: "Extra towels");
        var (newer, _) = await site.PromiseAsync(by: "hk1", what: "Fix the lamp");
        var mobile = (await site.Site.ListStaff(includeInactive: false)).Single(s => s.Id == "hk1").Mobile;
        var handset = IHandsetGrain.For(fixture.Grains, mobile);
        await DeactivateAsync(handset);
        var reads = fixture.Storage.Reads(handset.GetGrainId());
        var now = fixture.Time.GetUtcNow();

        // Texts to a staff phone (escalations, offers) only note what went, in memory.
        await handset.Texted(new HandsetText(site.Id, (await newer.Get())!.Id, "escalated", "hk1", null, now - TimeSpan.FromMinutes(1)));
        await handset.Texted(new HandsetText(site.Id, (await older.Get())!.Id, "escalated", "hk1", null, now - TimeSpan.FromMinutes(5)));
        fixture.Storage.Reads(handset.GetGrainId()).ShouldBe(reads);

        // A reply reads the phone, and what was noted before counts: the newest text's promise is the one meant.
        var reply = await handset.Receive(new InboundText("SM" + Guid.NewGuid().ToString("N"), "DONE"));

        reply.Outcome.ShouldBe("done");
        fixture.Storage.Reads(handset.GetGrainId()).ShouldBe(reads + 1);
        (await newer.Get())!.Status.ShouldBe(CommitmentStatus.Done);
        (await older.Get())!.Status.ShouldBe(CommitmentStatus.Open);
    }

    private static async Task DeactivateAsync(IHandsetGrain handset)
    {
        await handset.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
    }
}
