using System.Net;
using System.Net.Http.Json;
using Commitments.Grains.Sites;
using Commitments.Testing;

namespace Commitments.Host.Tests.Hosting;

/// <summary>How the host starts outside Development, and what readiness says when storage goes away.</summary>
public sealed class StartupTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task OutsideDevelopmentOnlyTheConfiguredFirstSiteAndManagerExist()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Environment"] = "Production",
            ["Bootstrap:Site:Id"] = "seaview",
            ["Bootstrap:Site:Name"] = "Seaview Inn",
            ["Bootstrap:Site:TimeZone"] = "Europe/Lisbon",
            ["Bootstrap:Site:PhoneRegion"] = "PT",
            ["Bootstrap:Manager:Id"] = "boss",
            ["Bootstrap:Manager:Name"] = "Rita Costa",
            ["Bootstrap:Manager:Mobile"] = "912 345 678",
            ["Bootstrap:Manager:Pin"] = "432100",
        };
        var table = azurite.NewTableName("boot");
        await using (var first = new CommitmentsApp(azurite, table, settings))
        {
            first.CreateClient().Dispose();
        }

        // A second start with the same configuration changes nothing and adds nothing.
        await using var app = new CommitmentsApp(azurite, table, settings);
        using var client = app.CreateClient(new() { BaseAddress = new Uri("https://localhost") });
        var signIn = await client.PostAsJsonAsync("/api/auth/pin", new { site = "seaview", staff = "boss", pin = "432100" });
        signIn.StatusCode.ShouldBe(HttpStatusCode.OK);
        signIn.Headers.GetValues("Set-Cookie").ShouldAllBe(c => c.Contains("secure"));

        var staff = await (await client.GetAsync("/api/sites/seaview/staff")).JsonAsync();
        staff.GetProperty("items").EnumerateArray().Select(s => s.GetProperty("mobile").GetString()).ShouldBe(["+351912345678"]);
        (await app.Grains.GetGrain<ISiteGrain>("demo").GetInfo()).ShouldBeNull();
    }

    [Fact]
    public async Task OutsideDevelopmentAHostWithoutAKeyCertificateRefusesToStartAndSaysWhy()
    {
        await using var app = new CommitmentsApp(azurite, settings: new Dictionary<string, string?>
        {
            ["Environment"] = "Production",
            ["DataProtection:CertificatePath"] = "",
        });

        var ex = Should.Throw<InvalidOperationException>(() => app.CreateClient());

        ex.Message.ShouldContain("DataProtection:CertificatePath");
    }

    [Fact]
    public async Task OutsideDevelopmentAHostWithoutAPhoneKeyRefusesToStartAndSaysWhy()
    {
        await using var app = new CommitmentsApp(azurite, settings: new Dictionary<string, string?>
        {
            ["Environment"] = "Production",
            ["Privacy:PhoneKey"] = "",
        });

        var ex = Should.Throw<InvalidOperationException>(() => app.CreateClient());

        ex.Message.ShouldContain("Privacy:PhoneKey");
    }

    [Fact]
    public async Task AHostWithInMemoryJobsRefusesToJoinAClusterWithAnotherLiveHostAndSaysWhy()
    {
        var cluster = new Dictionary<string, string?> { ["Orleans:ClusterId"] = "solo-" + Guid.NewGuid().ToString("N") };
        await using var first = new CommitmentsApp(azurite, settings: cluster);
        using var client = first.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await using var second = new CommitmentsApp(azurite, first.TableName, cluster);
        var ex = Should.Throw<InvalidOperationException>(() => second.CreateClient());

        ex.Message.ShouldContain("Hangfire:Storage=redis");
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task LiveAnswersAtOnceAndReadyOnceTheSiloIsActive()
    {
        await using var app = new CommitmentsApp(azurite);
        using var client = app.CreateClient();

        (await client.GetAsync("/health/live")).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ReadinessIs503WhenStorageStopsAnswering()
    {
        var own = new AzuriteFixture();
        await own.InitializeAsync();
        var app = new CommitmentsApp(own);
        using var client = app.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);

        await own.StopForNowAsync();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.ServiceUnavailable);

        // Membership lives in storage too: the silo needs it back to leave the cluster cleanly.
        await own.StartAgainAsync();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
        await app.DisposeAsync();
        await own.DisposeAsync();
    }
}

/// <summary>Twilio settings are checked when the host starts, naming each bad key.</summary>
public sealed class TwilioSettingsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task BadTwilioSettingsStopTheHostWithAMessageNamingThem()
    {
        await using var app = new CommitmentsApp(azurite, settings: new Dictionary<string, string?>
        {
            ["Environment"] = "Production",
            ["Twilio:AccountSid"] = "AC-not-a-sid",
            ["Twilio:From"] = "555-0100",
        });

        var ex = Should.Throw<Microsoft.Extensions.Options.OptionsValidationException>(() => app.CreateClient());

        ex.Message.ShouldContain("Twilio:AccountSid");
        ex.Message.ShouldContain("Twilio:AuthToken");
        ex.Message.ShouldContain("Twilio:From");
        ex.Message.ShouldContain("Twilio:PublicBaseUrl");
    }
}
