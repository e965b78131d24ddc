namespace Commitments.Balancer.Tests.Proxy;

public sealed class SessionAffinityTests
{
    [Fact]
    public async Task ABrowsersRequestsStayOnOneHostWhileItIsAlive()
    {
        await using var balancer = await BalancerHarness.StartAsync();
        using var browser = balancer.NewBrowser();

        var first = await browser.WhoAmIAsync();
        var cookie = browser.AffinityCookie;
        var next = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            next.Add(await browser.WhoAmIAsync());
        }

        cookie.ShouldNotBeNull();
        next.ShouldAllBe(host => host == first);
        browser.AffinityCookie.ShouldBe(cookie);
    }

    [Fact]
    public async Task NewBrowsersAreSpreadOverTheHosts()
    {
        await using var balancer = await BalancerHarness.StartAsync();

        var hosts = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            using var browser = balancer.NewBrowser();
            hosts.Add(await browser.WhoAmIAsync());
        }

        // Thirty picks among three hosts missing one of them: about one chance in 60,000.
        hosts.ShouldBe(["a", "b", "c"], ignoreOrder: true);
    }

    [Fact]
    public async Task TheAffinityOfABrowserWhoseHostDiedMovesToALiveHost()
    {
        await using var balancer = await BalancerHarness.StartAsync();
        using var browser = balancer.NewBrowser();
        var deadName = await browser.WhoAmIAsync();
        var dead = balancer.Backends.Single(backend => backend.Name == deadName);
        var oldCookie = browser.AffinityCookie;

        await dead.StopAsync();
        var moved = await browser.WhoAmIAsync();
        var after = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            after.Add(await browser.WhoAmIAsync());
        }

        moved.ShouldNotBe(dead.Name);
        browser.AffinityCookie.ShouldNotBe(oldCookie);
        after.ShouldAllBe(host => host == moved);
    }
}
