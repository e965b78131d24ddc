using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Index;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace Commitments.Grains.Tests;

/// <summary>One in-process silo for all grain tests, with a clock the tests move.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 14, 0, 0, TimeSpan.Zero);

    private InProcessTestCluster? _cluster;

    public FakeTimeProvider Time { get; } = new(Start);

    /// <summary>What a site index re-reads after activation (nothing, unless a test holds it back).</summary>
    public HeldStateSource StateSource { get; } = new();

    /// <summary>Stands in for the host's dispatcher: records what promises hand it.</summary>
    public RecordingTextSignal Signal { get; } = new();

    public IGrainFactory Grains => _cluster!.Client;

    private const string MemoryStorageName = "memory";

    /// <summary>The silo's grain storage: memory, with faults on demand.</summary>
    public FaultyStorage Storage { get; private set; } = null!;

    public InProcessTestCluster Cluster => _cluster!;

    /// <summary>The silo's PIN hasher, counting the checks it makes.</summary>
    public CountingHasher Hasher { get; } = new();

    public async ValueTask InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureHost(host =>
        {
            host.Services.AddSingleton<TimeProvider>(Time);
            host.Services.AddSingleton<ITextSignal>(Signal);
            host.Services.AddSingleton<ICommitmentStateSource>(StateSource);

            // The smallest index pages, so every test's site spreads over several.
            host.Services.Configure<SiteIndexOptions>(o => o.PageBytes = SiteIndexOptions.MinPageBytes);

            // PIN hashing is deliberately slow in production; tests only need it to be a real hash.
            host.Services.AddSingleton<IPasswordHasher<string>>(Hasher);
        });
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(MemoryStorageName);
            Orleans.Runtime.Hosting.StorageProviderExtensions.AddGrainStorage(silo.Services, Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME, (services, _) =>
                Storage = new FaultyStorage(services.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(MemoryStorageName)));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is null)
        {
            return;
        }

        // Orleans runs its own shutdown delays on the injected clock too: keep the fake one moving
        // until the silo is down, or shutdown waits for real-time fallbacks.
        using var stop = new CancellationTokenSource();
        var ticking = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                Time.Advance(TimeSpan.FromSeconds(1));
                await Task.Yield();
            }
        });
        await _cluster.DisposeAsync();
        await stop.CancelAsync();
        await ticking;
    }

    private int _mobiles = 3000;

    /// <summary>A staff mobile no other site of the run has (limits on texts are per number).</summary>
    private string NextMobile() => "+1202556" + Interlocked.Increment(ref _mobiles).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A fresh site per test, so tests never see each other's promises.</summary>
    public async Task<TestSite> NewSiteAsync(string timeZone = "America/New_York", string language = "en")
    {
        var id = "t-" + Guid.NewGuid().ToString("N")[..12];
        var site = Grains.GetGrain<ISiteGrain>(id);
        await site.Ensure(new SiteSetup("Test Hotel", timeZone, "US", language));
        foreach (var team in new[] { "front-desk", "housekeeping", "engineering" })
        {
            await site.UpsertTeam(Actor.System, new TeamInput(team, team));
        }

        await site.EnsureStaff(new StaffInput("desk1", "Dana Desk", NextMobile(), Roles.FrontDesk, "front-desk", "1111"));
        await site.EnsureStaff(new StaffInput("hk1", "Maria Lopez", NextMobile(), Roles.Staff, "housekeeping", "2222"));
        await site.EnsureStaff(new StaffInput("hk2", "Sam Okafor", NextMobile(), Roles.Staff, "housekeeping", "2223"));
        await site.EnsureStaff(new StaffInput("eng1", "Tom Becker", NextMobile(), Roles.Staff, "engineering", "3333"));
        await site.EnsureStaff(new StaffInput("mgr1", "Priya Nair", NextMobile(), Roles.Manager, "front-desk", "999999"));
        return new TestSite(this, id);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}

/// <summary>Helpers that keep each test body a few lines.</summary>
public sealed class TestSite(ClusterFixture fixture, string id)
{
    public string Id { get; } = id;

    public ISiteGrain Site => fixture.Grains.GetGrain<ISiteGrain>(Id);

    public ICommitmentGrain Commitment(Guid commitmentId) => fixture.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(Id, commitmentId));

    public string InMinutes(int minutes) => fixture.Time.GetUtcNow().AddMinutes(minutes).ToString("O");

    public async Task<(ICommitmentGrain Grain, CommitmentView View)> PromiseAsync(
        string by = "desk1", string? handoffTo = null, int dueInMinutes = 30, string what = "Extra towels to room 412", string mobile = "(202) 555-0199")
    {
        var id = Guid.NewGuid();
        var grain = Commitment(id);
        var result = await grain.Create(Actor.Staff(by), new NewCommitment(
            what, new CustomerInput("Ana Silva", mobile, "412", true, "es"), InMinutes(dueInMinutes), handoffTo, null));
        return (grain, result.Commitment);
    }
}

/// <summary>The dispatcher's side of <see cref="ITextSignal"/>, recorded.</summary>
public sealed class RecordingTextSignal : ITextSignal
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<TextToSend> _sent = new();

    private readonly System.Collections.Concurrent.ConcurrentQueue<(string Site, Guid Id)> _ready = new();

    /// <summary>This process's dispatcher; a test sets another to play the process after a restart.</summary>
    public string DispatcherId { get; set; } = "test-dispatcher";

    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void TextsReady(string site, Guid commitmentId)
    {
        _ready.Enqueue((site, commitmentId));
        lock (_gate)
        {
            _next.TrySetResult();
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>How many times the promise told the dispatcher it has texts due.</summary>
    public int ReadyCount(Guid commitmentId) => _ready.Count(r => r.Id == commitmentId);

    /// <summary>How many times a site told the dispatcher its own texts are due.</summary>
    public int SiteReadyCount(string site) => _ready.Count(r => r.Site == site && r.Id == TextOutboxes.SiteTexts);

    /// <summary>Waits until the promise has told the dispatcher more than <paramref name="count"/> times.</summary>
    public Task WaitForReadyAsync(Guid commitmentId, int count) => WaitForAsync(() => ReadyCount(commitmentId) > count);

    /// <summary>Waits until the site has told the dispatcher more than <paramref name="count"/> times.</summary>
    public Task WaitForSiteReadyAsync(string site, int count) => WaitForAsync(() => SiteReadyCount(site) > count);

    private async Task WaitForAsync(Func<bool> done)
    {
        while (true)
        {
            Task next;
            lock (_gate)
            {
                next = _next.Task;
            }

            if (done())
            {
                return;
            }

            await next.WaitAsync(TimeSpan.FromSeconds(10));
        }
    }

    public void Send(IReadOnlyList<TextToSend> texts)
    {
        foreach (var text in texts)
        {
            _sent.Enqueue(text);
        }
    }

    public IReadOnlyList<TextToSend> SentFor(Guid commitmentId) => [.. _sent.Where(t => t.CommitmentId == commitmentId)];
}

/// <summary>A real PIN hash (few iterations: tests only need it to be real) that counts its checks.</summary>
public sealed class CountingHasher : IPasswordHasher<string>
{
    private readonly PasswordHasher<string> _inner = new(Options.Create(new PasswordHasherOptions { IterationCount = 1000 }));
    private int _verified;

    public int Verified => Volatile.Read(ref _verified);

    public string HashPassword(string user, string password) => _inner.HashPassword(user, password);

    public PasswordVerificationResult VerifyHashedPassword(string user, string hashedPassword, string providedPassword)
    {
        Interlocked.Increment(ref _verified);
        return _inner.VerifyHashedPassword(user, hashedPassword, providedPassword);
    }
}
