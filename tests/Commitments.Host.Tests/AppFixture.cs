using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Host.Development;
using Commitments.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

[assembly: AssemblyFixture(typeof(AzuriteFixture))]

namespace Commitments.Host.Tests;

/// <summary>The real host (silo, storage provider, API) against the tests' Azurite, on a table of its own.</summary>
public sealed class CommitmentsApp : HostFactory<Program>
{
    public CommitmentsApp(AzuriteFixture azurite, string? tableName = null, IDictionary<string, string?>? settings = null)
        : this(tableName ?? azurite.NewTableName("api"), azurite, settings ?? new Dictionary<string, string?>())
    {
    }

    private CommitmentsApp(string tableName, AzuriteFixture azurite, IDictionary<string, string?> settings)
        : base(settings.TryGetValue("Environment", out var environment) ? environment! : "Development", Settings(azurite, tableName, settings))
    {
        TableName = tableName;
    }

    public string TableName { get; }

    private static Dictionary<string, string?> Settings(AzuriteFixture azurite, string tableName, IDictionary<string, string?> overrides)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Storage"] = azurite.ConnectionString,
            ["Storage:TableName"] = tableName,
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans"] = "Error",
            ["Orleans:SiloPort"] = AzuriteFixture.GetFreeTcpPort().ToString(),
            ["Orleans:GatewayPort"] = AzuriteFixture.GetFreeTcpPort().ToString(),
            // Each app is a cluster of its own unless a test says otherwise (the membership table is shared).
            ["Orleans:ClusterId"] = "test-" + Guid.NewGuid().ToString("N"),
            // Every host of the run shares the key ring in Azurite, so all encrypt it with the same certificate.
            ["DataProtection:CertificatePath"] = TestCertificate.Path,
            ["DataProtection:CertificatePassword"] = TestCertificate.Password,
            ["Privacy:PhoneKey"] = TestSecrets.PhoneKey,
        };
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        return settings;
    }

    protected override void ConfigureServices(IServiceCollection services) =>
        services.AddSingleton<IIncomingGrainCallFilter, GrainFaults>();

    public IGrainFactory Grains => Services.GetRequiredService<IGrainFactory>();

    /// <summary>Where clients connect: the in-memory test server, or the Kestrel port when one was asked for.</summary>
    public Uri BaseAddress { get; set; } = new("http://localhost");

    /// <summary>A client signed in as <paramref name="staff"/>, carrying the auth cookie.</summary>
    public async Task<HttpClient> SignInAsync(string staff, string pin, string site = "demo")
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });
        var response = await client.PostAsJsonAsync("/api/auth/pin", new { site, staff, pin });
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return client;
    }

    /// <summary>A new site with the same people as the demo, so a test's lists are its own.</summary>
    public async Task<string> NewSiteAsync(string timeZone = "America/New_York")
    {
        var id = "s-" + Guid.NewGuid().ToString("N")[..10];
        var site = Grains.GetGrain<ISiteGrain>(id);
        await site.Ensure(new SiteSetup("Second Hotel", timeZone, "US"));
        foreach (var (team, name) in DemoSiteTeams)
        {
            await site.UpsertTeam(Actor.System, new TeamInput(team, name));
        }

        foreach (var staff in DemoSite.Staff)
        {
            await site.EnsureStaff(staff);
        }

        return id;
    }

    private static readonly (string, string)[] DemoSiteTeams = DemoSite.Teams;
}

/// <summary>One app shared by the API tests (they run one after another within the collection).</summary>
public sealed class AppFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public CommitmentsApp App { get; private set; } = null!;

    public AzuriteFixture Azurite => azurite;

    public async ValueTask InitializeAsync()
    {
        App = new CommitmentsApp(azurite);
        using var client = App.CreateClient();
        (await client.GetAsync("/health/ready")).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    public async ValueTask DisposeAsync() => await App.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AppCollection : ICollectionFixture<AppFixture>
{
    public const string Name = "app";
}

public static class Http
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    /// <summary>Asserts a ProblemDetails with <paramref name="status"/> that names <paramref name="field"/>.</summary>
    public static async Task<JsonElement> ShouldBeProblemAsync(this HttpResponseMessage response, HttpStatusCode status, string? field = null)
    {
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, body);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var json = JsonDocument.Parse(body).RootElement;
        json.GetProperty("status").GetInt32().ShouldBe((int)status);
        if (field is not null)
        {
            json.GetProperty("errors").TryGetProperty(field, out _).ShouldBeTrue($"errors should name '{field}': {body}");
        }

        return json;
    }

    /// <summary>POSTs a JSON body (or an empty JSON call for actions that take none).</summary>
    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, object? body = null) =>
        client.PostAsync(url, body is null
            ? new StringContent("", System.Text.Encoding.UTF8, "application/json")
            : JsonContent.Create(body));
}
