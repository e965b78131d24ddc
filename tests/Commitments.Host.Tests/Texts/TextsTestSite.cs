using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Host.Tests.Texts;

/// <summary>A site of its own for a texting test: its staff have mobiles no other test uses.</summary>
public sealed class TextsTestSite
{
    private TextsTestSite(TextingApp texting, string id, Dictionary<string, string> mobiles)
    {
        Texting = texting;
        Id = id;
        Mobiles = mobiles;
    }

    public TextingApp Texting { get; }

    public string Id { get; }

    /// <summary>Staff id → mobile.</summary>
    public Dictionary<string, string> Mobiles { get; }

    public static async Task<TextsTestSite> CreateAsync(TextingApp texting, string? timeZone = null)
    {
        var id = "x-" + Guid.NewGuid().ToString("N")[..10];
        var site = texting.App.Grains.GetGrain<ISiteGrain>(id);
        await site.Ensure(new SiteSetup("Harborview Hotel", timeZone ?? DaytimeZone(), "US"));
        foreach (var (team, name) in new[] { ("front-desk", "Front Desk"), ("housekeeping", "Housekeeping"), ("engineering", "Engineering") })
        {
            await site.UpsertTeam(Actor.System, new TeamInput(team, name));
        }

        var mobiles = new Dictionary<string, string>();
        foreach (var (staff, name, role, team) in new[]
        {
            ("desk1", "Dana Whitfield", Roles.FrontDesk, "front-desk"),
            ("hk1", "Maria Lopez", Roles.Staff, "housekeeping"),
            ("hk2", "Sam Okafor", Roles.Staff, "housekeeping"),
            ("mgr1", "Priya Nair", Roles.Manager, "front-desk"),
        })
        {
            mobiles[staff] = TextingApp.NewMobile();
            await site.EnsureStaff(new StaffInput(staff, name, mobiles[staff], role, team, PinOf(staff)));
        }

        return new TextsTestSite(texting, id, mobiles);
    }

    /// <summary>A zone where it is now between 09:00 and 20:00, so no text is held for quiet hours.</summary>
    public static string DaytimeZone() => ZoneWhereHourIs(h => h is >= 9 and < 20);

    /// <summary>A zone where it is now between 23:00 and 06:00.</summary>
    public static string NighttimeZone() => ZoneWhereHourIs(h => h is >= 23 or < 6);

    private static string ZoneWhereHourIs(Func<int, bool> wanted) =>
        new[] { "America/New_York", "Europe/London", "Asia/Tokyo", "Pacific/Honolulu", "Asia/Kolkata", "America/Los_Angeles", "Australia/Sydney", "Europe/Berlin", "America/Sao_Paulo", "Asia/Dubai" }
            .First(z => wanted(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddMinutes(2), TimeZoneInfo.FindSystemTimeZoneById(z)).Hour));

    public Task<HttpClient> SignInAsync(string staff) => Texting.App.SignInAsync(staff, PinOf(staff), Id);

    /// <summary>Everyone's PIN is 1234, the manager's 123456 (managers need six digits).</summary>
    public static string PinOf(string staff) => staff == "mgr1" ? "123456" : "1234";

    public async Task<string> PromiseAsync(HttpClient client, string customerMobile, string? handoffTo = null, string language = "en", int dueInMinutes = 60)
    {
        var response = await client.PostAsJsonAsync($"/api/sites/{Id}/commitments", new
        {
            what = "Extra towels",
            customer = new { name = "Ana Silva", mobile = customerMobile, room = "412", smsConsent = true, language },
            dueAt = DateTimeOffset.UtcNow.AddMinutes(dueInMinutes).ToString("O"),
            handoffTo,
        });
        response.StatusCode.ShouldBe(System.Net.HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return response.Headers.Location!.ToString();
    }

    public async Task<JsonElement> ViewAsync(HttpClient client, string url) => await (await client.GetAsync(url)).JsonAsync();

    /// <summary>Waits until the local Twilio holds <paramref name="count"/> messages to <paramref name="to"/>.</summary>
    public Task<List<JsonElement>> SentAsync(string to, int count) =>
        TextingApp.EventuallyAsync(() => Texting.SentToAsync(to), m => m.Count >= count, $"{count} text(s) to {to}");

    public static string Body(JsonElement message) => message.GetProperty("body").GetString()!;
}
