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

    [Fact]
    public async Task IdsAClientChoseCannotBeAimedAtOneStoredRecord()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        // Ids that all fell in the first shard when shards followed the id's own hash.
        var now = fixture.Time.GetUtcNow();
        var aimed = 0;
        while (aimed < 2000)
        {
            var id = Guid.NewGuid();
            if ((uint)id.GetHashCode() % SiteIndexGrain.Shards == 0)
            {
                aimed++;
                await index.Upsert(new IndexEntry(id, "Aimed", "Ana Silva", "412", "desk1", now.AddHours(1), CommitmentStatus.Open, null, null, Version: 1, now));
            }
        }

        await index.Flush();

        var sizes = new List<int>();
        foreach (var shard in SiteIndexGrain.ShardStateNames)
        {
            var stored = new GrainState<SiteIndexState>(new());
            await fixture.Storage.ReadStateAsync(shard, index.GetGrainId(), stored);
            sizes.Add(stored.State!.Entries.Count);
        }

        sizes.Sum().ShouldBe(2000);
        sizes.Max().ShouldBeLessThan(2000 / SiteIndexGrain.Shards * 2, "the entries spread over every shard");
    }

    [Fact]
    public async Task AnIndexWriteThatKeepsFailingBacksOffAndWritesWhenStorageAllowsAgain()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        await index.Flush();
        var grain = index.GetGrainId();
        fixture.Storage.FailNextWrites(grain, 100_000);
        var (_, created) = await site.PromiseAsync();

        // Ten minutes of one-second ticks: without backing off, about 600 tries.
        for (var i = 0; i < 600; i++)
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
            await index.Query(new IndexQuery(Limit: 1));
        }

        (100_000 - fixture.Storage.FailuresLeft(grain)).ShouldBeLessThan(30);

        fixture.Storage.FailNextWrites(grain, 0);
        for (var i = 0; i < 6 && !await StoredAsync(grain, created.Id); i++)
        {
            fixture.Time.Advance(TimeSpan.FromMinutes(1));
            await index.Query(new IndexQuery(Limit: 1));
            await index.Query(new IndexQuery(Limit: 1));
        }

        (await StoredAsync(grain, created.Id)).ShouldBeTrue();
    }

    private async Task<bool> StoredAsync(GrainId index, Guid id)
    {
        foreach (var shard in SiteIndexGrain.ShardStateNames)
        {
            var stored = new GrainState<SiteIndexState>(new());
            await fixture.Storage.ReadStateAsync(shard, index, stored);
            if (stored.State!.Entries.Any(e => e.Id == id))
            {
                return true;
            }
        }

        return false;
    }

    private ISiteIndexGrain Index(TestSite site) => fixture.Grains.GetGrain<ISiteIndexGrain>(site.Id);
}
