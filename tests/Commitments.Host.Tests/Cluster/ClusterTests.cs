using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Host.Tests.Escalation;
using Commitments.Host.Tests.Hosting;
using Commitments.Host.Tests.Texts;
using Commitments.Host.Tests.Web;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Cluster;

/// <summary>Three host processes, one cluster: the work is shared, and a host killed under load loses nothing and repeats nothing.</summary>
[Collection(HostProcessCollection.Name)]
public sealed class ClusterTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    [Fact]
    public async Task MadeOnAAcceptedThroughBListedOnCAndABrowserOnCSeesBsChangeLive()
    {
        var deskCookies = new CookieContainer();
        using var desk = await ClusterFixture.SignInAsync(cluster.A, "desk1", "1111", deskCookies);
        var created = await desk.PostAsJsonAsync($"/api/sites/{ClusterFixture.Site}/commitments", new
        {
            what = "Iron and board for 508",
            customer = new { name = "Ana Silva", room = "508" },
            dueAt = DateTimeOffset.UtcNow.AddHours(2).ToString("O"),
            handoffTo = "hk1",
        });
        created.StatusCode.ShouldBe(HttpStatusCode.Created);
        var id = (await created.JsonAsync()).GetProperty("id").GetGuid();

        // The cookie made by A is read by B and C: one key ring for the cluster.
        using var deskOnC = cluster.C.NewClient(deskCookies);
        (await deskOnC.GetAsync("/api/auth/me")).StatusCode.ShouldBe(HttpStatusCode.OK);

        // The manager watches the promise's record on C, in a browser.
        using var browser = await ClusterBrowser.StartAsync();
        var page = await browser.NewPageAsync(cluster.C.BaseAddress);
        await page.SignInAsync(ClusterFixture.Site, "boss", ClusterFixture.ManagerPin, $"/promises/{id:D}");
        await page.GetByTestId("record-history").GetByText("Dana Whitfield offered it to Maria Lopez").WaitForAsync();

        using var lead = await ClusterFixture.SignInAsync(cluster.B, "hk1", "2222");
        (await lead.PostJsonAsync($"/api/sites/{ClusterFixture.Site}/commitments/{id}/handoff/accept")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await page.GetByTestId("record-history").GetByText("Maria Lopez accepted it from Dana Whitfield").WaitForAsync();
        await Assertions.Expect(page.GetByTestId("record-owner")).ToContainTextAsync("Maria Lopez");

        using var manager = await ClusterFixture.SignInAsync(cluster.C, "boss", ClusterFixture.ManagerPin);
        var listed = await (await manager.GetAsync($"/api/sites/{ClusterFixture.Site}/commitments?owner=hk1")).JsonAsync();
        listed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ShouldContain(id);
    }

    [Fact]
    public async Task AHostKilledUnderLoadLosesNoPromiseTakesEveryStepOnceAndTextsNothingTwice()
    {
        // Signed in once, on A: cookies are per host name, not per port, so every host gets the same one.
        var cookies = new CookieContainer();
        using var signedIn = await ClusterFixture.SignInAsync(cluster.A, "desk1", "1111", cookies);
        var clients = cluster.Hosts.Select(h => h.NewClient(cookies)).ToArray();
        var killed = 0;
        var acknowledged = new ConcurrentBag<(Guid Id, string Mobile, string What)>();
        var counted = new Milestones();
        using var stop = new CancellationTokenSource();

        async Task CreateLoopAsync(int worker)
        {
            // A steady load of about ten promises a second across the workers, not as fast as they go.
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            for (var n = 0; !stop.IsCancellationRequested && await pace.WaitForNextTickAsync(); n++)
            {
                // Spread over the hosts; B only until it is killed.
                var host = (worker + n) % 3;
                if (host == 1 && Volatile.Read(ref killed) == 1)
                {
                    host = 2;
                }

                var mobile = TextingApp.NewMobile();
                var what = $"Load {worker}-{n}";
                try
                {
                    var response = await clients[host].PostAsJsonAsync($"/api/sites/{ClusterFixture.Site}/commitments", new
                    {
                        what,
                        customer = new { name = "Guest", room = "1", mobile, smsConsent = true },
                        dueAt = DateTimeOffset.UtcNow.AddSeconds(4 + (n % 5)).ToString("O"),
                    });
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        acknowledged.Add(((await response.JsonAsync()).GetProperty("id").GetGuid(), mobile, what));
                        counted.Add();
                    }
                }
                catch (HttpRequestException)
                {
                    // B went away mid-request: not acknowledged, so nothing is owed.
                }
            }
        }

        var load = Enumerable.Range(0, 3).Select(CreateLoopAsync).ToList();
        await counted.Reaching(30).WaitAsync(TimeSpan.FromSeconds(60));
        Volatile.Write(ref killed, 1);
        cluster.B.Kill();
        // About twelve seconds more of load on A and C: through B's detection and the time after it.
        await counted.Reaching(acknowledged.Count + 120).WaitAsync(TimeSpan.FromSeconds(120));
        await stop.CancelAsync();
        await Task.WhenAll(load);

        // Every acknowledged promise reads back through A or C, with both steps taken exactly once.
        var survivors = new[] { clients[0], clients[2] };
        foreach (var (id, _, what) in acknowledged)
        {
            var view = await TextingApp.EventuallyAsync(
                () => ReadAsync(survivors, id),
                v => v is { } found && EscalationSite.Events(found, "escalated").Count >= 2 && AllSent(found),
                $"promise '{what}' with both steps taken and its texts sent", TimeSpan.FromSeconds(120));
            view!.Value.GetProperty("what").GetString().ShouldBe(what);
            EscalationSite.Events(view.Value, "escalated").Count.ShouldBe(2, what);
        }

        // The local Twilio got each customer's text once.
        var sent = await cluster.SentAsync();
        foreach (var (_, mobile, what) in acknowledged)
        {
            sent.Count(s => s.To == mobile).ShouldBe(1, $"the customer of '{what}'");
        }

        // B comes back and rejoins: it serves the cluster's promises again.
        await cluster.RestartAsync(1);
        using var again = cluster.B.NewClient(cookies);
        var (anyId, _, anyWhat) = acknowledged.First();
        var read = await again.GetAsync($"/api/sites/{ClusterFixture.Site}/commitments/{anyId}");
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await read.JsonAsync()).GetProperty("what").GetString().ShouldBe(anyWhat);

        // No recipient was sent the same words twice (the strongly consistent grain directory keeps
        // one activation of each promise while membership settles, so a prepared step goes once).
        var twice = sent.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => $"{g.Key.To[..5]}…: {g.Key.Body[..30]}…").ToList();
        twice.ShouldBeEmpty("texts sent twice after the kill");
    }

    [Fact]
    public async Task ARollingRestartBehindTheBalancerFailsNoRequestAndLosesOrRepeatsNoText()
    {
        using var balancer = await BalancerProcess.StartAsync(cluster.Hosts);
        var cookies = new CookieContainer();
        using var client = balancer.NewClient(cookies);
        (await client.PostAsJsonAsync("/api/auth/pin", new { site = ClusterFixture.Site, staff = "desk1", pin = "1111" })).EnsureSuccessStatusCode();
        var failures = new ConcurrentQueue<string>();
        var acknowledged = new ConcurrentBag<(Guid Id, string Mobile)>();
        using var stop = new CancellationTokenSource();

        async Task TrafficAsync()
        {
            // A steady trickle, as a front desk makes them.
            using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
            for (var n = 0; !stop.IsCancellationRequested && await pace.WaitForNextTickAsync(); n++)
            {
                var mobile = TextingApp.NewMobile();
                try
                {
                    var created = await client.PostAsJsonAsync($"/api/sites/{ClusterFixture.Site}/commitments", new
                    {
                        what = $"Rolling {n}",
                        customer = new { name = "Guest", room = "1", mobile, smsConsent = true },
                        dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
                    });
                    if (created.StatusCode != HttpStatusCode.Created)
                    {
                        failures.Enqueue($"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
                        continue;
                    }

                    var id = (await created.JsonAsync()).GetProperty("id").GetGuid();
                    acknowledged.Add((id, mobile));
                    var read = await client.GetAsync($"/api/sites/{ClusterFixture.Site}/commitments/{id}");
                    if (read.StatusCode != HttpStatusCode.OK)
                    {
                        failures.Enqueue($"read: {(int)read.StatusCode}");
                    }
                }
                catch (HttpRequestException ex)
                {
                    failures.Enqueue($"transport: {ex.Message}");
                }
            }
        }

        var traffic = TrafficAsync();
        for (var i = 0; i < cluster.Hosts.Length; i++)
        {
            // Graceful, one at a time: each host drains, stops, comes back and is taken in again.
            await cluster.Hosts[i].StopAsync(TimeSpan.FromSeconds(60));
            await cluster.RestartAsync(i);
            await balancer.WaitForHostsAsync(3, TimeSpan.FromSeconds(60));
        }

        await stop.CancelAsync();
        await traffic;

        failures.ShouldBeEmpty(cluster.Output + "\n" + balancer.Output);
        acknowledged.Count.ShouldBeGreaterThan(10);
        foreach (var (id, mobile) in acknowledged)
        {
            await TextingApp.EventuallyAsync(
                () => ReadAsync([client], id),
                v => v is { } found && AllSent(found),
                $"promise {id} readable with its text sent", TimeSpan.FromSeconds(60));
        }

        var sent = await cluster.SentAsync();
        sent.GroupBy(s => s).Where(g => g.Count() > 1).Select(g => $"{g.Key.To}: {g.Key.Body}").ShouldBeEmpty();
        foreach (var (id, mobile) in acknowledged)
        {
            sent.Count(s => s.To == mobile).ShouldBe(1, $"the customer of {id}");
        }
    }

    [Fact]
    public async Task ABrowserWhoseHostDiesComesBackOnAnotherThroughTheBalancerKeepingWhatWasTyped()
    {
        using var balancer = await BalancerProcess.StartAsync(cluster.Hosts);
        using var browser = await ClusterBrowser.StartAsync();
        var page = await browser.NewPageAsync(balancer.BaseAddress);
        await page.SignInAsync(ClusterFixture.Site, "desk1", "1111");
        await page.Locator("#customer-name").FillAsync("Ana Silva");
        await page.Locator("#customer-room").FillAsync("412");

        // What was typed is kept once the circuit has answered it; a host killed before that takes the last keystrokes with it.
        await page.WaitForFunctionAsync(
            "() => Object.keys(localStorage).some(k => k.startsWith('commitments.draft.') && localStorage.getItem(k).includes('412'))");

        // The balancer keeps the browser on one host; which one only its cookie says. Each host in
        // turn is killed until the page says its connection dropped (its circuit died with its host).
        var reloaded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        page.Load += (_, _) => reloaded.TrySetResult();
        var dropped = new System.Text.RegularExpressions.Regex("components-reconnect-(show|retrying|failed|rejected|resume-failed)");
        var found = false;
        for (var i = 0; i < cluster.Hosts.Length && !found; i++)
        {
            cluster.Hosts[i].Kill();
            try
            {
                // A killed host's sockets close at once: the banner shows within moments (or the page already reloaded).
                var banner = Assertions.Expect(page.Locator("#components-reconnect-modal")).ToHaveClassAsync(dropped, new() { Timeout = 5_000 });
                await Task.WhenAny(banner, reloaded.Task);
                found = reloaded.Task.IsCompleted || banner.IsCompletedSuccessfully;
            }
            catch (PlaywrightException)
            {
                // Not this host.
            }

            if (found)
            {
                // Blazor tries the lost circuit again, is refused by a live host, and the page loads there.
                await reloaded.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }

            await cluster.RestartAsync(i);
            await balancer.WaitForHostsAsync(3, TimeSpan.FromSeconds(60));
        }

        found.ShouldBeTrue("the page loaded again when its host died");
        await page.WaitForInteractiveAsync();
        await Assertions.Expect(page.Locator("#customer-name")).ToHaveValueAsync("Ana Silva");
        await page.GetByTestId("type-taxi").ClickAsync();
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("made").WaitForAsync();
    }

    private static async Task<JsonElement?> ReadAsync(HttpClient[] clients, Guid id)
    {
        foreach (var client in clients)
        {
            try
            {
                var response = await client.GetAsync($"/api/sites/{ClusterFixture.Site}/commitments/{id}");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return await response.JsonAsync();
                }
            }
            catch (HttpRequestException)
            {
                // A host may be settling the failure; the other answers.
            }
        }

        return null;
    }

    // Accepted by Twilio (a delivery callback that met the dying host is fetched later by the status poll).
    private static bool AllSent(JsonElement view) =>
        view.GetProperty("texts").EnumerateArray().All(t => t.GetProperty("sentAt").ValueKind == JsonValueKind.String || t.GetProperty("status").GetString() == "skipped");

    /// <summary>Counts acknowledged promises; a test waits until there are so many.</summary>
    private sealed class Milestones
    {
        private readonly Lock _gate = new();
        private readonly List<(int Target, TaskCompletionSource Reached)> _waiting = [];
        private int _count;

        public void Add()
        {
            lock (_gate)
            {
                _count++;
                foreach (var waiter in _waiting.Where(w => w.Target <= _count).ToList())
                {
                    waiter.Reached.TrySetResult();
                    _waiting.Remove(waiter);
                }
            }
        }

        public Task Reaching(int target)
        {
            lock (_gate)
            {
                if (_count >= target)
                {
                    return Task.CompletedTask;
                }

                var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((target, reached));
                return reached.Task;
            }
        }
    }
}

/// <summary>Debian's Chromium for one test, trusting the hosts' test certificate.</summary>
internal sealed class ClusterBrowser : IDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ClusterBrowser(IPlaywright playwright, IBrowser browser)
    {
        _playwright = playwright;
        _browser = browser;
    }

    public static async Task<ClusterBrowser> StartAsync()
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserFixture.ChromiumPath(),
            Headless = true,
            Args = BrowserFixture.ChromiumArgs,
        });
        return new ClusterBrowser(playwright, browser);
    }

    public async Task<IPage> NewPageAsync(Uri baseAddress)
    {
        var context = await _browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = baseAddress.ToString(), IgnoreHTTPSErrors = true });
        context.SetDefaultTimeout(30_000);
        context.SetDefaultNavigationTimeout(30_000);
        return await context.NewPageAsync();
    }

    public void Dispose()
    {
        _browser.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _playwright.Dispose();
    }
}
