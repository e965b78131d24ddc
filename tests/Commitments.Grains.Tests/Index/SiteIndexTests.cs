using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Microsoft.Extensions.DependencyInjection;

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
    public async Task ASiteTakesMorePagesAsItGrowsAndNoPageOutgrowsItsBudget()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var now = fixture.Time.GetUtcNow();
        var random = new Random(17);
        const int promises = 400;
        for (var i = 0; i < promises; i++)
        {
            // Long, multi-byte text, as guests' names and requests may be.
            await index.Upsert(new IndexEntry(
                Guid.NewGuid(), Text(random, 120), Text(random, 80), Text(random, 10), "desk1", now.AddMinutes(i),
                CommitmentStatus.Open, "hk1", "desk1", Version: 1, now, ReplyCode: ReplyCodes.At(i)));
        }

        await index.Flush();

        var pages = await StoredPagesAsync(index.GetGrainId());
        pages.Count.ShouldBeGreaterThan(10, "4 KiB pages in these tests");
        pages.SelectMany(p => p.Entries).Select(e => e.Id).Distinct().Count().ShouldBe(promises);
        pages.ShouldAllBe(p => p.Pages == pages.Count);
        pages.Max(p => Serializer.SerializeToArray(p).Length).ShouldBeLessThanOrEqualTo(SiteIndexOptions.MinPageBytes);

        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        (await index.Query(new IndexQuery(CommitmentStatus.Open, Limit: IndexQuery.MaxLimit))).Count.ShouldBe(promises);
    }

    [Fact]
    public async Task AStreamOfCreatesRewritesOnlyTheLastPage()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var now = fixture.Time.GetUtcNow();
        await OpenEntriesAsync(index, 100);
        var before = await StoredPagesAsync(index.GetGrainId());

        fixture.Time.Advance(TimeSpan.FromMilliseconds(10));
        var added = Guid.NewGuid();
        await index.Upsert(new IndexEntry(added, "Towels", "Ana Silva", "412", "desk1", now.AddHours(1), CommitmentStatus.Open, null, null, 1, now));
        await index.Flush();
        var after = await StoredPagesAsync(index.GetGrainId());

        var changed = after.Where((page, i) => i >= before.Count || page.Watermark != before[i].Watermark).ToList();
        changed.Count.ShouldBe(1);
        changed.Single().Entries.ShouldContain(e => e.Id == added);
    }

    [Fact]
    public async Task AQuietSiteWaitsToRewriteAPageForOnePromiseButNeverPastTheLongestDelay()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var grain = index.GetGrainId();
        var now = fixture.Time.GetUtcNow();

        // Most of a page, so one more promise is far less than rewriting it.
        await OpenEntriesAsync(index, 12);
        var writes = fixture.Storage.Writes(grain);
        var one = new IndexEntry(Guid.NewGuid(), "Towels", "Ana Silva", "412", "desk1", now.AddHours(1), CommitmentStatus.Open, null, null, 1, now);
        await index.Upsert(one);
        var delay = new SiteIndexOptions().MaxFlushDelay;
        for (var waited = TimeSpan.Zero; waited < delay - TimeSpan.FromSeconds(1); waited += TimeSpan.FromSeconds(1))
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
            await index.Query(new IndexQuery(Limit: 1));
        }

        fixture.Storage.Writes(grain).ShouldBe(writes, "not worth a page yet");
        await TicksUntilStoredAsync(index, one.Id, ticks: 3);

        // A burst is worth writing at the next tick.
        var burst = Enumerable.Range(0, 20)
            .Select(i => one with { Id = Guid.NewGuid(), DueAt = now.AddHours(2).AddMinutes(i) }).ToList();
        foreach (var entry in burst)
        {
            await index.Upsert(entry);
        }

        await TicksUntilStoredAsync(index, burst[^1].Id, ticks: 2);
    }

    // Moves the clock by step until task completes (at most ten times): the grain's wait on the clock may begin just after a move.
    private async Task<T> ClockMovedUntilAsync<T>(Task<T> task, ISiteIndexGrain index, TimeSpan step)
    {
        for (var i = 0; i < 10 && !task.IsCompleted; i++)
        {
            fixture.Time.Advance(step);
            await Task.WhenAny(task, index.Query(new IndexQuery(Limit: 1)));
        }

        return await task;
    }

    // Moves the clock (first by first, then a second at a time, at most ticks moves) until the index's timer has stored id.
    private async Task TicksUntilStoredAsync(ISiteIndexGrain index, Guid id, int ticks, TimeSpan? first = null)
    {
        var written = fixture.Storage.WrittenAsync(index.GetGrainId(), s => s is SiteIndexState page && page.Entries.Any(e => e.Id == id));
        for (var i = 0; i < ticks && !written.IsCompleted; i++)
        {
            fixture.Time.Advance(i == 0 && first is { } step ? step : TimeSpan.FromSeconds(1));
            await Task.WhenAny(written, index.Query(new IndexQuery(Limit: 1)));
        }

        await written.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        (await StoredAsync(index.GetGrainId(), id)).ShouldBeTrue();
    }

    [Fact]
    public async Task ChangesAcrossABigSiteRewriteAFewPagesAndTheNewestCopyIsListed()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var entries = await OpenEntriesAsync(index, 300);
        var before = await StoredPagesAsync(index.GetGrainId());

        // One promise on every fifth page changes (accepted by someone, say).
        fixture.Time.Advance(TimeSpan.FromMilliseconds(10));
        var changed = entries.Where((_, i) => i % 50 == 0).Select(e => e with { Owner = "hk1", Version = 2 }).ToList();
        foreach (var entry in changed)
        {
            await index.Upsert(entry);
        }

        await index.Flush();
        var after = await StoredPagesAsync(index.GetGrainId());

        var written = after.Where((page, i) => i >= before.Count || page.Watermark != before[i].Watermark).Count();
        written.ShouldBeLessThanOrEqualTo(2, $"{changed.Count} changes on {changed.Count} pages of {before.Count}");

        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        var counts = await index.OpenCountsByOwner();
        counts["desk1"].ShouldBe(300 - changed.Count);
        counts["hk1"].ShouldBe(changed.Count);
    }

    [Fact]
    public async Task PagesLeftBehindByChangedEntriesAreFilledAgain()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var entries = await OpenEntriesAsync(index, 200);
        var first = (await StoredPagesAsync(index.GetGrainId())).Count;

        // Every promise changes ten times over, a flush after each round.
        for (var version = 2; version <= 11; version++)
        {
            fixture.Time.Advance(TimeSpan.FromSeconds(1));
            foreach (var entry in entries)
            {
                await index.Upsert(entry with { Version = version });
            }

            await index.Flush();
        }

        var pages = await StoredPagesAsync(index.GetGrainId());
        pages.Count.ShouldBeLessThanOrEqualTo((first * 2) + 1);
        pages.SelectMany(p => p.Entries).GroupBy(e => e.Id).Select(g => g.Max(e => e.Version)).ShouldAllBe(v => v == 11);
    }

    [Fact]
    public async Task APromiseThatLeavesTheListsLeavesEveryPageThatHeldACopy()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var entries = await OpenEntriesAsync(index, 100);
        fixture.Time.Advance(TimeSpan.FromSeconds(1));
        var done = entries[0] with { Status = CommitmentStatus.Done, Version = 2, UpdatedAt = fixture.Time.GetUtcNow() };
        await index.Upsert(done);
        await index.Flush();
        (await StoredPagesAsync(index.GetGrainId())).Count(p => p.Entries.Any(e => e.Id == done.Id)).ShouldBe(2, "the open copy stays in its page for now");

        // Past the retention for closed promises, it leaves the lists.
        fixture.Time.Advance(new SiteIndexOptions().ClosedRetention + TimeSpan.FromDays(1));
        await index.Upsert(entries[1] with { Version = 2 });
        await index.Flush();

        (await StoredPagesAsync(index.GetGrainId())).ShouldAllBe(p => p.Entries.All(e => e.Id != done.Id));
        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        (await index.Query(new IndexQuery(CommitmentStatus.Open, Limit: IndexQuery.MaxLimit))).Count.ShouldBe(99);
    }

    [Fact]
    public async Task AnActivationCatchesUpFromTheLastCompleteFlushNotTheOldestPage()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var now = fixture.Time.GetUtcNow();
        await OpenEntriesAsync(index, 100);

        // A day later one more promise: the first pages keep their day-old watermarks.
        fixture.Time.Advance(TimeSpan.FromDays(1));
        await index.Upsert(new IndexEntry(Guid.NewGuid(), "Towels", "Ana Silva", "412", "desk1", now.AddDays(2), CommitmentStatus.Open, null, null, 1, now));
        await index.Flush();
        var flushed = fixture.Time.GetUtcNow();
        (await StoredPagesAsync(index.GetGrainId())).Min(p => p.Watermark).ShouldBe(now);

        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();
        await index.Flush();

        fixture.StateSource.LastSince(site.Id).ShouldBe(flushed - new SiteIndexOptions().CatchUpOverlap);
    }

    [Fact]
    public async Task ASiteStoredInSixteenOverfullRecordsIsSpreadOverPagesThatFit()
    {
        // As sites were stored before pages were filled by size: 16 records, each far over today's page size.
        var site = await fixture.NewSiteAsync();
        var grain = Index(site).GetGrainId();
        var now = fixture.Time.GetUtcNow();
        var ids = new List<Guid>();
        for (var record = 0; record < SiteIndexGrain.FirstPages; record++)
        {
            var state = new SiteIndexState { Watermark = now };
            for (var i = 0; i < 40; i++)
            {
                var id = Guid.NewGuid();
                ids.Add(id);
                state.Entries.Add(new IndexEntry(id, "Towels", "Ana Silva", "412", "desk1", now.AddHours(1), CommitmentStatus.Open, null, null, 1, now));
            }

            await fixture.Storage.WriteStateAsync(SiteIndexGrain.PageStateName(record), grain, new GrainState<SiteIndexState>(state));
        }

        (await Index(site).OpenCountsByOwner())["desk1"].ShouldBe(ids.Count);
        await Index(site).Flush();

        var pages = await StoredPagesAsync(grain);
        pages.Count.ShouldBeGreaterThan(SiteIndexGrain.FirstPages);
        pages.SelectMany(p => p.Entries).Select(e => e.Id).Order().ShouldBe(ids.Order());
        pages.Max(p => Serializer.SerializeToArray(p).Length).ShouldBeLessThanOrEqualTo(SiteIndexOptions.MinPageBytes);
    }

    [Fact]
    public async Task WhileABigSiteCatchesUpListsComeFromItsPagesAndNewCodesStepPastAnyItMissed()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        var (_, listed) = await site.PromiseAsync();
        await index.Flush();
        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        // Stored, but its upsert never reached the index (the process died): only the catch-up knows its code.
        var missed = MissedPromise(site, ReplyCodes.At(1));
        var release = fixture.StateSource.Hold(site.Id, missed);

        (await index.Query(new IndexQuery(CommitmentStatus.Open))).Select(e => e.Id).ShouldBe([listed.Id]);
        var allocating = index.AllocateReplyCode(Guid.NewGuid());
        await index.Query(new IndexQuery(Limit: 1));
        allocating.IsCompleted.ShouldBeFalse("a code waits a moment for the catch-up");
        var code = await ClockMovedUntilAsync(allocating, index, SiteIndexGrain.ReplyCodeCatchUpWait);
        var finding = index.FindByReplyCode(missed.ReplyCode!);
        (await index.Query(new IndexQuery(CommitmentStatus.Open))).Count.ShouldBe(1, "lists are not held up by the catch-up");
        finding.IsCompleted.ShouldBeFalse("a code not known yet waits for the catch-up");

        code.ShouldNotBe(missed.ReplyCode);
        code.ShouldNotBe(listed.ReplyCode);
        release.SetResult();
        (await finding)!.Id.ShouldBe(missed.Id);
        (await index.Query(new IndexQuery(CommitmentStatus.Open))).Count.ShouldBe(2);
    }

    [Fact]
    public async Task TheReconcilePassGetsItsPlansOnceTheCatchUpHasReadWhatThePagesMissed()
    {
        var site = await fixture.NewSiteAsync();
        var index = Index(site);
        await site.PromiseAsync();
        await index.Flush();
        await index.Cast<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle();

        // Stored, but its upsert never reached the index (the process died): a step of its may be overdue.
        var missed = MissedPromise(site, ReplyCodes.At(1));
        var release = fixture.StateSource.Hold(site.Id, missed);

        (await index.Query(new IndexQuery(CommitmentStatus.Open))).Count.ShouldBe(1);
        var plans = index.EscalationPlans();
        await index.Query(new IndexQuery(Limit: 1));
        plans.IsCompleted.ShouldBeFalse("the plans wait for the catch-up");

        release.SetResult();
        (await plans).Select(e => e.Id).ShouldContain(missed.Id);
    }

    [Fact]
    public async Task ASiteStoredWithoutAHeadHandsOutNoCodeBeforeItHasCaughtUp()
    {
        var site = await fixture.NewSiteAsync();
        var grain = Index(site).GetGrainId();
        var now = fixture.Time.GetUtcNow();
        for (var record = 0; record < SiteIndexGrain.FirstPages; record++)
        {
            await fixture.Storage.WriteStateAsync(SiteIndexGrain.PageStateName(record), grain, new GrainState<SiteIndexState>(new() { Watermark = now }));
        }

        var missed = MissedPromise(site, ReplyCodes.At(0));
        var release = fixture.StateSource.Hold(site.Id, missed);

        var allocating = Index(site).AllocateReplyCode(Guid.NewGuid());
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldBeEmpty();
        fixture.Time.Advance(SiteIndexGrain.ReplyCodeCatchUpWait);
        (await Index(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldBeEmpty();
        allocating.IsCompleted.ShouldBeFalse();

        release.SetResult();
        (await allocating).ShouldBe(ReplyCodes.At(1));
    }

    private CommitmentState MissedPromise(TestSite site, string code)
    {
        var now = fixture.Time.GetUtcNow();
        return new CommitmentState
        {
            Id = Guid.NewGuid(),
            Site = site.Id,
            What = "Written behind the index",
            Customer = new Customer("Ana Silva", null, "412", false, null),
            PromisedBy = "desk1",
            Owner = "desk1",
            DueAt = now.AddHours(2),
            CreatedAt = now,
            ReplyCode = code,
            History = [new HistoryEvent(1, now, Actor.Staff("desk1"), EventTypes.Created, new Dictionary<string, string>())],
        };
    }

    /// <summary>Lists <paramref name="count"/> open promises, due a minute apart, and writes the index.</summary>
    private async Task<List<IndexEntry>> OpenEntriesAsync(ISiteIndexGrain index, int count)
    {
        var now = fixture.Time.GetUtcNow();
        var entries = Enumerable.Range(0, count)
            .Select(i => new IndexEntry(Guid.NewGuid(), "Towels", "Ana Silva", "412", "desk1", now.AddMinutes(i), CommitmentStatus.Open, null, null, 1, now))
            .ToList();
        foreach (var entry in entries)
        {
            await index.Upsert(entry);
        }

        await index.Flush();
        return entries;
    }

    private static string Text(Random random, int length)
    {
        string[] pieces = ["a", "ü", "漢", "😀", " "];
        var text = new System.Text.StringBuilder();
        while (text.Length < length - 1)
        {
            text.Append(pieces[random.Next(pieces.Length)]);
        }

        return text.ToString();
    }

    private Orleans.Serialization.Serializer Serializer =>
        fixture.Cluster.Client.ServiceProvider.GetRequiredService<Orleans.Serialization.Serializer>();

    /// <summary>The index's stored pages, in order, up to the first missing one.</summary>
    private async Task<List<SiteIndexState>> StoredPagesAsync(GrainId index)
    {
        var pages = new List<SiteIndexState>();
        while (true)
        {
            var stored = new GrainState<SiteIndexState>(new());
            await fixture.Storage.ReadStateAsync(SiteIndexGrain.PageStateName(pages.Count), index, stored);
            if (!stored.RecordExists)
            {
                return pages;
            }

            pages.Add(stored.State!);
        }
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
        await TicksUntilStoredAsync(index, created.Id, ticks: 5, first: new SiteIndexOptions().MaxFlushBackoff);
    }

    private async Task<bool> StoredAsync(GrainId index, Guid id) =>
        (await StoredPagesAsync(index)).Any(p => p.Entries.Any(e => e.Id == id));

    private ISiteIndexGrain Index(TestSite site) => fixture.Grains.GetGrain<ISiteIndexGrain>(site.Id);
}
