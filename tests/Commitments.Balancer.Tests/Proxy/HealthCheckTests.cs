using Yarp.ReverseProxy.Model;

namespace Commitments.Balancer.Tests.Proxy;

public sealed class HealthCheckTests
{
    [Fact]
    public async Task AHostThatIsNotReadyGetsNoNewRequestsOnceTheProbeNoticesNotEvenFromItsOwnBrowsers()
    {
        await using var balancer = await BalancerHarness.StartAsync(healthInterval: TimeSpan.FromMilliseconds(200));
        var sick = balancer.Backends[1];
        using var itsBrowser = await balancer.NewBrowserOnAsync(sick);

        sick.Ready = false;
        await balancer.WaitUntilAsync(() => balancer.ActiveHealth(sick) == DestinationHealth.Unhealthy, "the probe marks the host unhealthy");
        sick.ForgetRequests();
        var served = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            using var browser = balancer.NewBrowser();
            served.Add(await browser.WhoAmIAsync());
        }
        served.Add(await itsBrowser.WhoAmIAsync());

        sick.Requests.ShouldBeEmpty();
        served.ShouldAllBe(host => host != sick.Name);
    }

    [Fact]
    public async Task AHostThatIsReadyAgainGetsRequestsAgain()
    {
        await using var balancer = await BalancerHarness.StartAsync(backends: 2, healthInterval: TimeSpan.FromMilliseconds(200));
        var host = balancer.Backends[0];
        host.Ready = false;
        await balancer.WaitUntilAsync(() => balancer.ActiveHealth(host) == DestinationHealth.Unhealthy, "the probe marks the host unhealthy");

        host.Ready = true;
        await balancer.WaitUntilAsync(() => balancer.ActiveHealth(host) == DestinationHealth.Healthy, "the probe marks the host healthy again");
        var served = new HashSet<string>();
        for (var i = 0; i < 30; i++)
        {
            using var browser = balancer.NewBrowser();
            served.Add(await browser.WhoAmIAsync());
        }

        served.ShouldContain(host.Name);
    }

    [Fact]
    public async Task AHostThatRefusedAConnectionIsTakenOutWithoutWaitingForTheProbe()
    {
        await using var balancer = await BalancerHarness.StartAsync();
        using var browser = balancer.NewBrowser();
        var deadName = await browser.WhoAmIAsync();
        var dead = balancer.Backends.Single(backend => backend.Name == deadName);
        await dead.StopAsync();

        await browser.WhoAmIAsync();

        balancer.PassiveHealth(dead).ShouldBe(DestinationHealth.Unhealthy);
        balancer.ActiveHealth(dead).ShouldBe(DestinationHealth.Healthy);
    }
}
