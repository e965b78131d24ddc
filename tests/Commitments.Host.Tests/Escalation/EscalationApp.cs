using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Grains.Sites;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;

namespace Commitments.Host.Tests.Escalation;

/// <summary>
/// The real host with a real Hangfire server, Azurite and the local Twilio, on a clock of
/// seconds: deadlines may be a second ahead, and each test's team policy is in seconds.
/// </summary>
public sealed class EscalationFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public static Dictionary<string, string?> Settings(TimeSpan? perPerson = null) => new()
    {
        ["Ledger:MinimumLead"] = "00:00:00.500",
        ["Escalation:JobLead"] = "00:00:01",
        // Below the job lead, so a pass wakes a promise whose job is gone as its moment approaches, not at once.
        ["Escalation:WakeAhead"] = "00:00:00.400",
        ["Escalation:ReconcileGrace"] = "00:00:03",
        ["Escalation:PerPersonInterval"] = (perPerson ?? TimeSpan.Zero).ToString("c"),
        ["Hangfire:SchedulePollingInterval"] = "00:00:00.200",
    };

    public TextingApp Texting { get; private set; } = null!;

    public AzuriteFixture Azurite => azurite;

    public async ValueTask InitializeAsync() => Texting = await TextingApp.StartAsync(azurite, settings: Settings());

    public async ValueTask DisposeAsync() => await Texting.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class EscalationCollection : ICollectionFixture<EscalationFixture>
{
    public const string Name = "escalation";
}

/// <summary>A texting test site with a front-desk lead, policies in seconds, and helpers to read what happened.</summary>
public sealed class EscalationSite
{
    private EscalationSite(TextsTestSite site) => Site = site;

    public TextsTestSite Site { get; }

    public string Id => Site.Id;

    public TextingApp Texting => Site.Texting;

    public string Mobile(string staff) => Site.Mobiles[staff];

    public static async Task<EscalationSite> CreateAsync(TextingApp texting)
    {
        var site = await TextsTestSite.CreateAsync(texting);
        var mobile = TextingApp.NewMobile();
        await texting.App.Grains.GetGrain<ISiteGrain>(site.Id)
            .EnsureStaff(new StaffInput("fdlead", "Lee Park", mobile, Roles.Staff, "front-desk", "1234", Lead: true));
        site.Mobiles["fdlead"] = mobile;
        return new EscalationSite(site);
    }

    public Task<HttpClient> SignInAsync(string staff) => Site.SignInAsync(staff);

    /// <summary>Sets the front desk's policy (durations as "hh:mm:ss" strings).</summary>
    public async Task PolicyAsync(object policy)
    {
        using var mgr = await SignInAsync("mgr1");
        var response = await mgr.PutAsJsonAsync($"/api/sites/{Id}/teams/front-desk/policy", policy);
        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A promise due <paramref name="dueIn"/> from now; returns its URL and deadline.</summary>
    public async Task<(string Url, DateTimeOffset DueAt)> PromiseAsync(HttpClient client, TimeSpan dueIn, string? customerMobile = null, string? handoffTo = null)
    {
        var dueAt = DateTimeOffset.UtcNow + dueIn;
        var response = await client.PostAsJsonAsync($"/api/sites/{Id}/commitments", new
        {
            what = "Extra towels",
            customer = new { name = "Ana Silva", mobile = customerMobile, room = "412", smsConsent = customerMobile is not null },
            dueAt = dueAt.ToString("O"),
            handoffTo,
        });
        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (response.Headers.Location!.ToString(), dueAt);
    }

    public async Task<JsonElement> ViewAsync(HttpClient client, string url) => await (await client.GetAsync(url)).JsonAsync();

    /// <summary>The promise's history events of <paramref name="type"/>.</summary>
    public static List<JsonElement> Events(JsonElement view, string type) =>
        [.. view.GetProperty("history").EnumerateArray().Where(e => e.GetProperty("type").GetString() == type)];

    public static string Detail(JsonElement e, string key) =>
        e.GetProperty("details").TryGetProperty(key, out var value) ? value.GetString()! : "";

    /// <summary>Waits until the promise's history holds an event matching <paramref name="match"/>; returns the view.</summary>
    public Task<JsonElement> UntilAsync(HttpClient client, string url, Func<JsonElement, bool> match, string what, TimeSpan? within = null) =>
        TextingApp.EventuallyAsync(() => ViewAsync(client, url), match, what, within ?? TimeSpan.FromSeconds(30));

    /// <summary>Bodies of the texts the local Twilio holds for a staff member (or a number).</summary>
    public async Task<List<string>> BodiesAsync(string staffOrNumber) =>
        [.. (await Texting.SentToAsync(Site.Mobiles.GetValueOrDefault(staffOrNumber) ?? staffOrNumber)).Select(TextsTestSite.Body)];

    public Task<List<JsonElement>> SentAsync(string staffOrNumber, int count) =>
        Site.SentAsync(Site.Mobiles.GetValueOrDefault(staffOrNumber) ?? staffOrNumber, count);
}
