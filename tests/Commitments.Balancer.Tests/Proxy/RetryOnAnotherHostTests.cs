using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Commitments.Balancer.Tests.Proxy;

public sealed class RetryOnAnotherHostTests
{
    [Fact]
    public async Task APostToAHostThatIsDownIsRetriedOnAnotherHostWithItsBodyIntact()
    {
        // Probes run only at start, so nothing but the failed request itself can tell the balancer the host is down.
        await using var balancer = await BalancerHarness.StartAsync();
        using var browser = balancer.NewBrowser();
        var deadName = await browser.WhoAmIAsync();
        var dead = balancer.Backends.Single(backend => backend.Name == deadName);
        await dead.StopAsync();
        var json = "{\"promise\":\"Call the plumber — tomorrow at 9\",\"notes\":\"" + new string('x', 200_000) + "\"}";

        using var response = await browser.PostAsync("/echo", new StringContent(json, Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var echo = (await Browser.ReadEchoAsync(response)).ShouldNotBeNull();
        echo.Backend.ShouldNotBe(dead.Name);
        echo.Body.ShouldBe(json);
        echo.ContentType.ShouldBe("application/json; charset=utf-8");
        var retry = balancer.Logs.Lines.Where(line => line.Message.StartsWith("POST never reached", StringComparison.Ordinal)).ShouldHaveSingleItem();
        retry.Level.ShouldBe(LogLevel.Information);
        retry.Message.ShouldBe($"POST never reached {dead.DestinationId} (ConnectionError); retried on {balancer.Backends.Single(b => b.Name == echo.Backend).DestinationId}: 200.");
    }

    [Fact]
    public async Task ARequestThatReachedAHostAndThenFailedIsNotRetried()
    {
        await using var balancer = await BalancerHarness.StartAsync();
        using var browser = balancer.NewBrowser();
        var hostName = await browser.WhoAmIAsync();
        var host = balancer.Backends.Single(backend => backend.Name == hostName);
        foreach (var backend in balancer.Backends)
        {
            backend.ForgetRequests();
        }

        using var response = await browser.PostAsync("/drop", new StringContent("{\"n\":1}", Encoding.UTF8, "application/json"));

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        host.Requests.ShouldBe(["POST /drop"]);
        balancer.Backends.Where(backend => backend != host).ShouldAllBe(backend => backend.Requests.Count == 0);
    }

    [Fact]
    public async Task WhenEveryHostIsDownTheClientGetsABadGateway()
    {
        await using var balancer = await BalancerHarness.StartAsync(backends: 2);
        using var browser = balancer.NewBrowser();
        foreach (var backend in balancer.Backends)
        {
            await backend.StopAsync();
        }

        using var response = await browser.GetAsync("/whoami");

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
    }
}
