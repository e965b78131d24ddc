using System.Net.Http.Json;
using System.Net;
using Commitments.Balancer.Hosting;
using Microsoft.AspNetCore.Builder;

namespace Commitments.Balancer.Tests.Hosting;

public sealed class BalancerHostingTests
{
    [Fact]
    public async Task TheBalancerAnswersItsOwnHealthWithoutAskingAHost()
    {
        await using var balancer = await BalancerHarness.StartAsync(backends: 2);
        using var client = new HttpClient { BaseAddress = balancer.Url };

        var health = await client.GetFromJsonAsync<BalancerHealth>("/balancer/health", TestContext.Current.CancellationToken);

        health.ShouldBe(new BalancerHealth("Healthy", Hosts: 2, HostsAvailable: 2));
        balancer.Backends.ShouldAllBe(backend => backend.Requests.Count == 0);
    }

    [Fact]
    public async Task ForwardedHeadersTellTheHostWhoAsked()
    {
        await using var balancer = await BalancerHarness.StartAsync(backends: 1);
        using var browser = balancer.NewBrowser();

        using var response = await browser.GetAsync("/whoami");

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        balancer.Backends[0].LastForwardedFor.ShouldBe("127.0.0.1");
        balancer.Backends[0].LastForwardedHost.ShouldBe(balancer.Url.Authority);
    }

    [Fact]
    public void StartingWithoutHostsFailsWithAMessageThatSaysWhatToSet()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());

        var failure = Should.Throw<InvalidOperationException>(() => builder.AddCommitmentsBalancer());

        failure.Message.ShouldContain("Balancer:Hosts");
    }

    [Fact]
    public void AHostThatIsNotAUrlFailsStartUpNamingIt()
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());

        var failure = Should.Throw<InvalidOperationException>(() =>
            builder.AddCommitmentsBalancer(new BalancerOptions { Hosts = ["http://127.0.0.1:5081", "host-b:8080"] }));

        failure.Message.ShouldBe("Balancer:Hosts has 'host-b:8080', which is not an absolute http:// or https:// URL.");
    }
}
