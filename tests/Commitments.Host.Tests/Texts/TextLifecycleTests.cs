using System.Net.Http.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Texts;

[Collection(TextingCollection.Name)]
public sealed class TextLifecycleTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    [Fact]
    public async Task TheCustomerHearsWhoIsResponsibleOnlyOnceTheHandoffIsAccepted()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        using var hk = await site.SignInAsync("hk1");
        var guest = TextingApp.NewMobile();
        var url = await site.PromiseAsync(desk, guest, handoffTo: "hk1");

        var offer = TextsTestSite.Body((await site.SentAsync(site.Mobiles["hk1"], 1)).Single());
        var code = (await site.ViewAsync(desk, url)).GetProperty("replyCode").GetString()!;
        offer.ShouldContain("Dana Whitfield asks you to take: Extra towels for Ana Silva (room 412)");
        offer.ShouldContain($"YES {code}");
        (await Texting.SentToAsync(guest)).ShouldBeEmpty();

        (await hk.PostJsonAsync($"{url}/handoff/accept")).EnsureSuccessStatusCode();

        var created = TextsTestSite.Body((await site.SentAsync(guest, 1)).Single());
        created.ShouldStartWith("Harborview Hotel: we promised Extra towels, by ");
        created.ShouldContain("Maria Lopez of Housekeeping is taking care of it.");
        TextsTestSite.Body((await site.SentAsync(site.Mobiles["desk1"], 1)).Single()).ShouldBe($"Maria Lopez accepted Extra towels ({code}). It is theirs now.");
    }

    [Fact]
    public async Task EveryEventTextsTheRightPeople()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        using var mgr = await site.SignInAsync("mgr1");
        using var hk2 = await site.SignInAsync("hk2");
        var guest = TextingApp.NewMobile();
        var url = await site.PromiseAsync(desk, guest, language: "es");
        TextsTestSite.Body((await site.SentAsync(guest, 1))[0]).ShouldContain("Dana Whitfield de Front Desk se encarga.");

        await desk.PostAsJsonAsync($"{url}/handoff", new { to = "hk2" });
        await hk2.PostAsJsonAsync($"{url}/handoff/decline", new { reason = "Off at 5" });
        TextsTestSite.Body((await site.SentAsync(site.Mobiles["desk1"], 1))[0]).ShouldContain("Sam Okafor declined Extra towels");

        await mgr.PostAsJsonAsync($"{url}/reschedule", new { dueAt = DateTimeOffset.UtcNow.AddHours(3).ToString("O"), reason = "Guest out" });
        TextsTestSite.Body((await site.SentAsync(guest, 2))[1]).ShouldContain("queda para");
        TextsTestSite.Body((await site.SentAsync(site.Mobiles["desk1"], 2))[1]).ShouldStartWith("Priya Nair moved your Extra towels");

        await desk.PostJsonAsync($"{url}/complete");
        TextsTestSite.Body((await site.SentAsync(guest, 3))[2]).ShouldContain("Responda 1-5");

        var second = await site.PromiseAsync(desk, guest);
        await site.SentAsync(guest, 4); // a text still waiting when its promise is cancelled is dropped, so let it go first
        await desk.PostAsJsonAsync($"{second}/cancel", new { reason = "Guest left" });
        TextsTestSite.Body((await site.SentAsync(guest, 5))[4]).ShouldBe("Harborview Hotel: we are sorry, Extra towels will not happen after all.");

        var view = await site.ViewAsync(desk, url);
        view.GetProperty("texts").EnumerateArray().Select(t => t.GetProperty("kind").GetString()).ShouldBe(
            ["customer-created", "handoff-offered", "handoff-declined", "customer-rescheduled", "owner-rescheduled", "customer-completed"]);
        view.GetProperty("texts")[0].GetProperty("to").GetString()!.ShouldContain("***");
    }

    [Fact]
    public async Task TheCompletedTextWaitsForMorningAtNight()
    {
        var site = await TextsTestSite.CreateAsync(Texting, TextsTestSite.NighttimeZone());
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        var url = await site.PromiseAsync(desk, guest);
        await site.SentAsync(guest, 1);

        await desk.PostJsonAsync($"{url}/complete");

        var view = await site.ViewAsync(desk, url);
        var completed = view.GetProperty("texts").EnumerateArray().Single(t => t.GetProperty("kind").GetString() == "customer-completed");
        completed.GetProperty("status").GetString().ShouldBe("waiting");
        (await Texting.SentToAsync(guest)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task NoConsentMeansNoCustomerText()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();

        var response = await desk.PostAsJsonAsync($"/api/sites/{site.Id}/commitments", new
        {
            what = "Taxi",
            customer = new { name = "Bo", mobile = guest, smsConsent = false },
            dueAt = DateTimeOffset.UtcNow.AddHours(1).ToString("O"),
            handoffTo = "hk1",
        });

        await site.SentAsync(site.Mobiles["hk1"], 1);
        (await response.JsonAsync()).GetProperty("texts").EnumerateArray().Select(t => t.GetProperty("kind").GetString()).ShouldBe(["handoff-offered"]);
    }
}

/// <summary>One host and one local Twilio for the texting tests (they run one after another).</summary>
public sealed class TextingFixture(AzuriteFixture azurite) : IAsyncLifetime
{
    public TextingApp Texting { get; private set; } = null!;

    // A throttled sign-in waits 30 s at first (not 1 s), so the throttle tests see it in force whatever the machine's pace.
    public async ValueTask InitializeAsync() =>
        Texting = await TextingApp.StartAsync(azurite, settings: new Dictionary<string, string?> { ["SignIn:FirstDelay"] = "00:00:30" });

    public async ValueTask DisposeAsync() => await Texting.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class TextingCollection : ICollectionFixture<TextingFixture>
{
    public const string Name = "texting";
}
