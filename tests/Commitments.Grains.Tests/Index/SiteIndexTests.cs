using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;

namespace Commitments.Grains.Tests.Index;

[Collection(ClusterCollection.Name)]
public sealed class SiteIndexTests(ClusterFixture fixture)
{
    [Fact]
    public async Task OpenPromisesAreListedSoonestDueFirst()
    {
        var site = await fixture.NewSiteAsync();
        var (_, later) = await site.PromiseAsync(dueInMinutes: 90);
        var (_, sooner) = await site.PromiseAsync(dueInMinutes: 15);
        var (done, _) = await site.PromiseAsync(dueInMinutes: 20);
        await done.Complete(Actor.Staff("desk1"), null);

        var open = await Index(site).Query(new IndexQuery(CommitmentStatus.Open));

        open.Select(e => e.Id).ShouldBe([sooner.Id, later.Id]);
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Done))).Count.ShouldBe(1);
    }

    [Fact]
    public async Task ListsFollowTheOwnerAndTheHandoff()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, view) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        (await Index(site).OfferedTo("hk1")).Select(e => e.Id).ShouldBe([view.Id]);
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open, Owner: "desk1"))).Count.ShouldBe(1);

        await grain.AcceptHandoff(Actor.Staff("hk1"));

        (await Index(site).OfferedTo("hk1")).ShouldBeEmpty();
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open, Owner: "desk1"))).ShouldBeEmpty();
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open, Owners: ["hk1", "hk2"]))).Select(e => e.Id).ShouldBe([view.Id]);
    }

    [Fact]
    public async Task AnOlderVersionNeverOverwritesANewerOne()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, created) = await site.PromiseAsync(by: "desk1");
        await grain.Complete(Actor.Staff("desk1"), null);

        await Index(site).Upsert(new IndexEntry(created.Id, created.What, "Ana Silva", "412", "desk1", created.DueAt,
            CommitmentStatus.Open, null, null, Version: 1, created.CreatedAt));

        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldBeEmpty();
    }

    [Fact]
    public async Task LongTextIsSummarisedInLists()
    {
        var site = await fixture.NewSiteAsync();
        await site.PromiseAsync(what: new string('x', 400));

        var entry = (await Index(site).Query(new IndexQuery())).Single();

        entry.What.Length.ShouldBe(IndexEntry.SummaryLength);
        entry.What.ShouldEndWith("…");
    }

    private ISiteIndexGrain Index(TestSite site) => fixture.Grains.GetGrain<ISiteIndexGrain>(site.Id);
}
