using System.Net;

namespace Commitments.Host.Tests.Hosting;

[Collection(AppCollection.Name)]
public sealed class HostingTests(AppFixture fixture)
{
    [Fact]
    public async Task ReadinessIsOkWhenTheSiloAndStorageAnswer()
    {
        using var client = fixture.App.CreateClient();

        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheApi()
    {
        using var client = fixture.App.CreateClient();

        var doc = await (await client.GetAsync("/openapi/v1.json")).JsonAsync();

        doc.GetProperty("paths").TryGetProperty("/api/sites/{site}/commitments", out _).ShouldBeTrue();
        doc.GetProperty("paths").TryGetProperty("/api/auth/pin", out _).ShouldBeTrue();
    }

    [Fact]
    public async Task TheDemoSiteIsSeededOnce()
    {
        using var mgr = await fixture.App.SignInAsync("mgr1", "999999");

        var staff = await (await mgr.GetAsync("/api/sites/demo/staff")).JsonAsync();

        staff.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("id").GetString()).Order()
            .ShouldBe(["desk1", "eng1", "hk1", "hk2", "mgr1"]);
    }
}

/// <summary>Apps of their own: a tight rate limit, and a restart over the same storage.</summary>
public sealed class RateLimitTests(Testing.AzuriteFixture azurite)
{
    [Fact]
    public async Task TooManyRequestsFromOneClientGet429WithRetryAfter()
    {
        await using var app = new CommitmentsApp(azurite, settings: new Dictionary<string, string?>
        {
            ["RateLimiting:PermitLimit"] = "3",
            ["RateLimiting:Window"] = "00:01:00",
        });
        using var client = await app.SignInAsync("desk1", "1111");
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.GetAsync("/api/sites/demo/commitments")).StatusCode);
        }

        var limited = await client.GetAsync("/api/sites/demo/commitments");
        await limited.ShouldBeProblemAsync(HttpStatusCode.TooManyRequests);
        limited.Headers.RetryAfter.ShouldNotBeNull();
        statuses.ShouldContain(HttpStatusCode.TooManyRequests);
    }
}
