using System.Net;
using System.Net.Http.Json;
using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Commitments.Host.Escalation;
using Commitments.Host.Tests.Texts;
using Hangfire;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Host.Tests.Escalation;

/// <summary>
/// Escalation end to end: the real host, a real Hangfire server (in-memory storage), Azurite and
/// the local Twilio over HTTP, with team policies in seconds. Tests wait on what happens (history
/// events, texts at the fake), never on sleeps.
/// </summary>
[Collection(EscalationCollection.Name)]
public sealed class EscalationEndToEndTests(EscalationFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    private static object Policy(
        string remindBefore = "00:00:00",
        object[]? levels = null,
        string repeatEvery = "00:00:02",
        int maxRepeats = 0,
        string ackTimeout = "00:10:00",
        string customerApologyAfter = "01:00:00",
        string handoffAcceptWithin = "01:00:00") => new
        {
            remindBefore,
            levels = levels ?? [new { after = "00:00:00", notify = new[] { "owner" } }],
            repeatEvery,
            maxRepeats,
            ackTimeout,
            customerApologyAfter,
            handoffAcceptWithin,
        };

    private static object Level(string after, params string[] notify) => new { after, notify };

    [Fact]
    public async Task EveryStepFiresAtItsMomentTextsTheRightPeopleAndTheLastLevelRepeatsUpToItsCap()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy(
            remindBefore: "00:00:02",
            levels: [Level("00:00:00", "owner"), Level("00:00:02", "owner", "leads"), Level("00:00:04", "managers")],
            repeatEvery: "00:00:02",
            maxRepeats: 2,
            customerApologyAfter: "00:00:03"));
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        var (url, dueAt) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(4), guest);

        var view = await site.UntilAsync(desk, url,
            v => EscalationSite.Events(v, "escalated").Any(e => EscalationSite.Detail(e, "repeat") == "2"), "the second repeat of level 3");

        EscalationSite.Events(view, "reminded").Single().GetProperty("details").GetProperty("texted").GetString().ShouldBe("desk1");
        var escalated = EscalationSite.Events(view, "escalated");
        escalated.Select(e => $"{EscalationSite.Detail(e, "level")}/{EscalationSite.Detail(e, "repeat")}:{EscalationSite.Detail(e, "texted")}")
            .ShouldBe(["1/:desk1", "2/:desk1,fdlead", "3/:mgr1", "3/1:mgr1", "3/2:mgr1"]);
        // Each at its own moment, computed from the deadline (never late by more than the run allows).
        var moments = escalated.Select(e => DateTimeOffset.Parse(e.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        for (var i = 0; i < moments.Count; i++)
        {
            (moments[i] - dueAt.AddSeconds(2 * i)).ShouldBeInRange(-Second, 2 * Second);
        }

        EscalationSite.Events(view, "apologized").Count.ShouldBe(1);
        var owner = (await site.SentAsync("desk1", 3)).Select(TextsTestSite.Body).ToList();
        owner[0].ShouldStartWith("Reminder: Extra towels");
        owner[1].ShouldContain("min late: Extra towels");
        owner[2].ShouldContain("Owner: Dana Whitfield");
        (await site.SentAsync("mgr1", 3)).Count.ShouldBe(3);
        (await site.SentAsync("fdlead", 1)).Count.ShouldBe(1);
        var apology = (await site.SentAsync(guest, 2)).Select(TextsTestSite.Body).ToList();
        apology[1].ShouldContain("we are sorry, Extra towels is running late. Dana Whitfield is on it now.");

        // The cap: nothing is planned after the last repeat, and no job is left for it.
        var grain = Texting.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site.Id, Guid.Parse(url.Split('/')[^1])));
        (await grain.NextEscalationAt()).ShouldBeNull();
        (await site.BodiesAsync("mgr1")).Count.ShouldBe(3);
    }

    [Fact]
    public async Task AnAcknowledgementHoldsTheNextLevelUntilItRunsOutThenEscalationResumes()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        // Level 2 comes well after level 1's event is visible (events are written 2 s after their texts go).
        await site.PolicyAsync(Policy(
            levels: [Level("00:00:00", "owner"), Level("00:00:05", "owner", "leads")],
            repeatEvery: "00:00:01",
            maxRepeats: 1,
            ackTimeout: "00:00:06"));
        using var desk = await site.SignInAsync("desk1");
        var (url, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(2));
        await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "escalated").Count == 1, "level 1");

        var acked = await (await desk.PostAsJsonAsync($"{url}/acknowledge", new { })).JsonAsync();
        var ack = EscalationSite.Events(acked, "acknowledged").Single();
        var until = DateTimeOffset.Parse(EscalationSite.Detail(ack, "until"), System.Globalization.CultureInfo.InvariantCulture);

        var view = await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "escalated").Count == 3, "level 2 and its repeat after the acknowledgement");
        var level2 = EscalationSite.Events(view, "escalated")[1];
        EscalationSite.Detail(level2, "level").ShouldBe("2");
        DateTimeOffset.Parse(level2.GetProperty("at").GetString()!, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThanOrEqualTo(until.AddSeconds(-1));
        EscalationSite.Detail(level2, "texted").ShouldBe("desk1,fdlead");
        EscalationSite.Detail(ack, "by").ShouldBe("desk1");
    }

    [Fact]
    public async Task ALeadWhoAcknowledgedIsNotTextedAgainForTheSameLevel()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy(
            levels: [Level("00:00:00", "owner", "leads")],
            // Level 1's event is on record about 2 s after its texts go (AdoptAfter); the first repeat
            // comes well after that, so the lead's acknowledgement lands before it is sent.
            repeatEvery: "00:00:05",
            maxRepeats: 2,
            ackTimeout: "00:00:01"));
        using var desk = await site.SignInAsync("desk1");
        using var lead = await site.SignInAsync("fdlead");
        var (url, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(1));
        await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "escalated").Count == 1, "level 1");

        (await lead.PostAsJsonAsync($"{url}/acknowledge", new { })).EnsureSuccessStatusCode();

        var view = await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "escalated").Count == 3, "both repeats");
        EscalationSite.Events(view, "escalated").Skip(1).Select(e => EscalationSite.Detail(e, "texted")).ShouldBe(["desk1", "desk1"]);
        (await site.BodiesAsync("fdlead")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnUnacceptedHandoffAlertsTheProposerAndTheRecipientsLeadWhileTheOwnerStaysAccountable()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.Texting.App.Grains.GetGrain<Grains.Sites.ISiteGrain>(site.Id)
            .UpdateStaff(Grains.Common.Actor.System, "hk2", new Grains.Sites.StaffInput(null, null, null, null, null, null, Lead: true));
        await site.PolicyAsync(Policy(handoffAcceptWithin: "00:00:02"));
        using var desk = await site.SignInAsync("desk1");
        var (url, _) = await site.PromiseAsync(desk, TimeSpan.FromHours(2), handoffTo: "hk1");

        var view = await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "handoff-stalled").Count == 1, "the stalled handoff");

        EscalationSite.Detail(EscalationSite.Events(view, "handoff-stalled")[0], "texted").ShouldBe("desk1,hk2");
        view.GetProperty("owner").GetString().ShouldBe("desk1");
        TextsTestSite.Body((await site.SentAsync("hk2", 1))[0]).ShouldContain("Maria Lopez has not accepted Extra towels");
    }

    [Fact]
    public async Task RescheduleMovesTheJobAndDoneStopsEverything()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy());
        using var desk = await site.SignInAsync("desk1");
        var jobs = Texting.App.Services.GetRequiredService<JobStorage>();
        var (moved, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(3));
        var (done, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(3));
        var (control, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(3));
        var movedGrain = GrainOf(site, moved);
        var oldJob = await JobOf(site, moved);

        (await desk.PostAsJsonAsync($"{moved}/reschedule", new { dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"), reason = "Guest out" })).EnsureSuccessStatusCode();
        (await desk.PostJsonAsync($"{done}/complete")).EnsureSuccessStatusCode();

        // The control promise, due at the same moment, escalates; the other two never do.
        await site.UntilAsync(desk, control, v => EscalationSite.Events(v, "escalated").Count == 1, "the control promise's level 1");
        EscalationSite.Events(await site.ViewAsync(desk, moved), "escalated").ShouldBeEmpty();
        EscalationSite.Events(await site.ViewAsync(desk, done), "escalated").ShouldBeEmpty();

        using var connection = jobs.GetConnection();
        connection.GetJobData(oldJob!)!.State.ShouldBe("Deleted");
        var newJob = await JobOf(site, moved);
        newJob.ShouldNotBe(oldJob);
        connection.GetJobData(newJob!)!.State.ShouldBe("Scheduled");
        (await movedGrain.NextEscalationAt())!.Value.ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(50));
        (await JobOf(site, done)).ShouldBeNull();
    }

    [Fact]
    public async Task AJobThatRunsTwiceTextsNobodyTwice()
    {
        var (site, desk, url, dueAt) = await Level1TextedAsync();
        using var _ = desk;

        var client = Texting.App.Services.GetRequiredService<IBackgroundJobClient>();
        var key = CommitmentKey.For(site.Id, Guid.Parse(url.Split('/')[^1]));
        var again = new[] { client.Enqueue<EscalationJobs>(j => j.Wake(key, dueAt)), client.Enqueue<EscalationJobs>(j => j.Wake(key, dueAt)) };
        var storage = Texting.App.Services.GetRequiredService<JobStorage>();
        await TextingApp.EventuallyAsync(
            () => Task.FromResult(again.Select(id => { using var c = storage.GetConnection(); return c.GetJobData(id)?.State; }).ToList()),
            states => states.All(s => s == "Succeeded"), "both repeated jobs to finish");

        EscalationSite.Events(await site.ViewAsync(desk, url), "escalated").Count.ShouldBe(1);
        (await site.BodiesAsync("desk1")).Count.ShouldBe(1);
    }

    [Fact]
    public async Task JobsRunInTheirOwnHostWhenAnotherHostInTheProcessCameAndWent()
    {
        // Hangfire's default activator is global and the last host to start sets it: this host's
        // jobs must still be run by this host, not by one started after it and since disposed.
        await using (var other = new CommitmentsApp(fixture.Azurite, settings: EscalationFixture.Settings()))
        {
            using var _ = other.CreateClient();
            foreach (var host in new[] { Texting.App.Services, other.Services })
            {
                using var scope = host.GetRequiredService<JobActivator>().BeginScope((JobActivatorContext)null!);
                scope.Resolve(typeof(IGrainFactory)).ShouldBeSameAs(host.GetRequiredService<IGrainFactory>());
            }
        }

        (await Level1TextedAsync()).Desk.Dispose();
    }

    [Fact]
    public async Task AJobLostAheadOfItsStepIsScheduledAgainFromTheIndexAndTheStepRunsOnce()
    {
        await using var lost = await PromiseWithItsJobLostAsync(TimeSpan.FromSeconds(6));

        var pass = await Texting.App.Services.GetRequiredService<EscalationReconciler>().RunAsync(CancellationToken.None);

        pass.Rescheduled.ShouldBeGreaterThanOrEqualTo(1);
        lost.Jobs().ShouldHaveSingleItem().ShouldNotBe(lost.JobId);
        await lost.EscalatedOnceOnTimeAsync();
    }

    [Fact]
    public async Task APromiseWhoseJobIsGoneWithinTheJobLeadIsWokenAsItsMomentApproachesOnceAndOnTime()
    {
        await using var lost = await PromiseWithItsJobLostAsync(TimeSpan.FromSeconds(4));

        // Just after its job would have fired (the job lead before its moment; a timer may fire a little early by the
        // wall clock): the pass wakes it itself, later, and no job comes back.
        var options = Texting.App.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<EscalationOptions>>().Value;
        var jobWouldFire = lost.DueAt - options.JobLead - DateTimeOffset.UtcNow + ((options.JobLead - options.WakeAhead) / 2);
        await Task.Delay(jobWouldFire > TimeSpan.Zero ? jobWouldFire : TimeSpan.Zero, TestContext.Current.CancellationToken);
        var reconciler = Texting.App.Services.GetRequiredService<EscalationReconciler>();
        var pass = await reconciler.RunAsync(CancellationToken.None);
        var again = await reconciler.RunAsync(CancellationToken.None);

        pass.Rescheduled.ShouldBeGreaterThanOrEqualTo(1);
        again.Escalated.ShouldBe(0, "the first pass has it in hand");
        lost.Jobs().ShouldBeEmpty();
        await lost.EscalatedOnceOnTimeAsync();
    }

    [Fact]
    public async Task AtStartUpALostJobIsScheduledOnceFromTheIndexesStoredShardsBeforeTheIndexesLoad()
    {
        await using var lost = await PromiseWithItsJobLostAsync(TimeSpan.FromSeconds(8));
        var services = Texting.App.Services;
        await services.GetRequiredService<IGrainFactory>().GetGrain<ISiteIndexGrain>(lost.Site.Id).Flush();

        // What the start-up pass reads first: the index as last written, straight from storage.
        var stored = await services.GetRequiredService<IStoredSiteIndexes>().ReadAllAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);

        var entry = stored.Where(e => e.Site == lost.Site.Id).ShouldHaveSingleItem().Entry;
        entry.Id.ShouldBe(lost.Id);
        entry.NextEscalationAt.ShouldNotBeNull().ShouldBe(lost.DueAt, TimeSpan.FromSeconds(1));

        var pass = await services.GetRequiredService<EscalationReconciler>().RunAtStartupAsync(CancellationToken.None);

        // The first pass, from the stored shards, put the job back; the full pass that follows finds it: one job, one step, one text.
        pass.FromStoredPages.ShouldBeGreaterThanOrEqualTo(1);
        lost.Jobs().ShouldHaveSingleItem().ShouldNotBe(lost.JobId);
        await lost.EscalatedOnceOnTimeAsync();
    }

    /// <summary>A promise on a one-level policy whose job in-memory job storage forgot (as on a crash).</summary>
    private async Task<LostJob> PromiseWithItsJobLostAsync(TimeSpan dueIn)
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy());
        var desk = await site.SignInAsync("desk1");
        var (url, dueAt) = await site.PromiseAsync(desk, dueIn);
        var storage = Texting.App.Services.GetRequiredService<JobStorage>();
        var lost = new LostJob(site, desk, url, dueAt, storage, "");
        var ids = await TextingApp.EventuallyAsync(() => Task.FromResult(lost.Jobs()), ids => ids.Count == 1, "the promise's job");
        Texting.App.Services.GetRequiredService<IBackgroundJobClient>().Delete(ids[0]).ShouldBeTrue();
        return lost with { JobId = ids[0] };
    }

    private sealed record LostJob(EscalationSite Site, HttpClient Desk, string Url, DateTimeOffset DueAt, JobStorage Storage, string JobId)
        : IAsyncDisposable
    {
        public Guid Id => Guid.Parse(Url.Split('/')[^1]);

        private string Key => CommitmentKey.For(Site.Id, Id);

        /// <summary>The promise's scheduled jobs.</summary>
        public List<string> Jobs() =>
            [.. Storage.GetMonitoringApi().ScheduledJobs(0, 10_000).Where(j => j.Value.Job?.Args[0] as string == Key).Select(j => j.Key)];

        public async Task EscalatedOnceOnTimeAsync()
        {
            await Site.UntilAsync(Desk, Url, v => EscalationSite.Events(v, "escalated").Count == 1, "level 1");
            await Site.SentAsync("desk1", 1);
            EscalationSite.Events(await Site.ViewAsync(Desk, Url), "escalated").Single().GetProperty("details")
                .TryGetProperty("delayedSeconds", out _).ShouldBeFalse("on time");
        }

        public ValueTask DisposeAsync()
        {
            Desk.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A promise due in a second on a one-level policy, once its level 1 is recorded and texted to the desk.</summary>
    private async Task<(EscalationSite Site, HttpClient Desk, string Url, DateTimeOffset DueAt)> Level1TextedAsync()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy());
        var desk = await site.SignInAsync("desk1");
        var (url, dueAt) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(1));
        await site.UntilAsync(desk, url, v => EscalationSite.Events(v, "escalated").Count == 1, "level 1");
        await site.SentAsync("desk1", 1);
        return (site, desk, url, dueAt);
    }

    [Fact]
    public async Task TheQueueListsWhatNeedsAttentionMostUrgentFirstForManagersAndLeadsOnly()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy(levels: [Level("00:00:00", "owner"), Level("00:00:01", "managers")]));
        using var desk = await site.SignInAsync("desk1");
        using var mgr = await site.SignInAsync("mgr1");
        using var lead = await site.SignInAsync("fdlead");
        var (calm, _) = await site.PromiseAsync(desk, TimeSpan.FromHours(3));
        var (late, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(1));
        var (later, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(2));
        await site.UntilAsync(desk, late, v => EscalationSite.Events(v, "escalated").Count == 2, "level 2 of the first");
        (await desk.PostAsJsonAsync($"{later}/acknowledge", new { minutes = 30 })).EnsureSuccessStatusCode();

        var queue = await TextingApp.EventuallyAsync(
            async () => await (await mgr.GetAsync($"/api/sites/{site.Id}/escalations")).JsonAsync(),
            q => q.GetProperty("items").GetArrayLength() == 2 && q.GetProperty("items")[0].GetProperty("lastText").GetProperty("status").GetString() is "delivered" or "sent",
            "the queue with two promises");

        var items = queue.GetProperty("items");
        items[0].GetProperty("id").GetString().ShouldBe(late.Split('/')[^1]);
        items[0].GetProperty("level").GetInt32().ShouldBe(2);
        items[0].GetProperty("ownerName").GetString().ShouldBe("Dana Whitfield");
        items[0].GetProperty("team").GetString().ShouldBe("front-desk");
        items[0].GetProperty("lastText").GetProperty("to").GetString().ShouldBe("mgr1");
        items[1].GetProperty("acknowledgedBy").GetString().ShouldBe("desk1");
        items.EnumerateArray().Select(i => i.GetProperty("id").GetString()).ShouldNotContain(calm.Split('/')[^1]);
        (await lead.GetAsync($"/api/sites/{site.Id}/escalations")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await (await desk.GetAsync($"/api/sites/{site.Id}/escalations")).ShouldBeProblemAsync(HttpStatusCode.Forbidden);

        var other = await EscalationSite.CreateAsync(Texting);
        using var otherManager = await other.SignInAsync("mgr1");
        await (await otherManager.GetAsync($"/api/sites/{site.Id}/escalations")).ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task AChangeToTheQueueIsPublishedToSubscribers()
    {
        var site = await EscalationSite.CreateAsync(Texting);
        await site.PolicyAsync(Policy());
        using var desk = await site.SignInAsync("desk1");
        var grains = Texting.App.Grains;
        var observer = new QueueWatcher();
        var reference = grains.CreateObjectReference<Grains.Index.IEscalationQueueObserver>(observer);
        await grains.GetGrain<Grains.Index.ISiteIndexGrain>(site.Id).Subscribe(reference);

        var (url, _) = await site.PromiseAsync(desk, TimeSpan.FromSeconds(1));

        var id = await observer.Changed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        id.ShouldBe(Guid.Parse(url.Split('/')[^1]));
        await grains.GetGrain<Grains.Index.ISiteIndexGrain>(site.Id).Unsubscribe(reference);
        grains.DeleteObjectReference<Grains.Index.IEscalationQueueObserver>(reference);
    }

    private sealed class QueueWatcher : Grains.Index.IEscalationQueueObserver
    {
        public TaskCompletionSource<Guid> Changed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task QueueChanged(string site, Guid commitmentId)
        {
            Changed.TrySetResult(commitmentId);
            return Task.CompletedTask;
        }
    }

    private ICommitmentGrain GrainOf(EscalationSite site, string url) =>
        Texting.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site.Id, Guid.Parse(url.Split('/')[^1])));

    private async Task<string?> JobOf(EscalationSite site, string url)
    {
        var index = Texting.App.Grains.GetGrain<Grains.Index.ISiteIndexGrain>(site.Id);
        var id = Guid.Parse(url.Split('/')[^1]);
        await GrainOf(site, url).Get();
        return (await index.Query(new Grains.Index.IndexQuery(Limit: 500))).Single(e => e.Id == id).EscalationJob;
    }
}
