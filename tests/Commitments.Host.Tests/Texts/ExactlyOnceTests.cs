extern alias localtwilio;

using System.Net.Http.Json;
using System.Text.Json;
using Commitments.Testing;

namespace Commitments.Host.Tests.Texts;

/// <summary>Each logical text reaches Twilio exactly once, whatever Twilio or this process does.</summary>
[Collection(TextingCollection.Name)]
public sealed class ExactlyOnceTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private async Task FaultAsync(string kind, int count = 1, int delayMs = 0) =>
        (await Texting.Control.PostAsJsonAsync("/_fake/faults", new { kind, count, delayMs })).EnsureSuccessStatusCode();

    [Theory]
    [InlineData("429", 4)]
    [InlineData("500", 2)]
    [InlineData("503", 2)]
    [InlineData("reset", 1)]
    [InlineData("non-json", 1)]
    [InlineData("500-after-create", 1)]
    [InlineData("timeout-after-create", 1)]
    [InlineData("slow", 1)]
    public async Task AFaultStillEndsWithTheTextSentExactlyOnce(string fault, int count)
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        await FaultAsync(fault, count, delayMs: fault == "timeout-after-create" ? 3000 : 300);

        var url = await site.PromiseAsync(desk, guest);

        var view = await TextingApp.EventuallyAsync(() => site.ViewAsync(desk, url),
            v => v.GetProperty("texts")[0].GetProperty("status").GetString() is "queued" or "sending" or "sent" or "delivered", "the text submitted");
        (await Texting.SentToAsync(guest)).Count.ShouldBe(1, view.ToString() + await Texting.Control.GetStringAsync("/_fake/messages"));
        view.GetProperty("texts")[0].GetProperty("kind").GetString().ShouldBe("customer-created");
        await Texting.Control.DeleteAsync("/_fake/faults");
    }

    [Fact]
    public async Task A201CarryingAnErrorCodeFailsTheTextWithAReasonAndIsNotRepeated()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        await FaultAsync("error-code-201");

        var url = await site.PromiseAsync(desk, guest);

        var text = (await TextingApp.EventuallyAsync(() => site.ViewAsync(desk, url),
            v => v.GetProperty("texts")[0].GetProperty("status").GetString() == "failed", "the text failed")).GetProperty("texts")[0];
        text.GetProperty("errorCode").GetInt32().ShouldBeGreaterThan(0);
        text.GetProperty("reason").GetString().ShouldNotBeNullOrEmpty();
        (await Texting.SentToAsync(guest)).Count.ShouldBe(1);
    }

    [Fact]
    public async Task AnOptedOutNumberIsNeverSentTo()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        await Texting.HandsetSendsAsync(guest, "STOP");

        var url = await site.PromiseAsync(desk, guest, handoffTo: "hk1");

        await site.SentAsync(site.Mobiles["hk1"], 1);
        (await Texting.SentToAsync(guest)).Where(m => m.GetProperty("direction").GetString() == "outbound-api").ShouldBeEmpty();
        await Texting.HandsetSendsAsync(site.Mobiles["hk1"], "YES");
        var text = (await TextingApp.EventuallyAsync(() => site.ViewAsync(desk, url),
            v => v.GetProperty("texts")[0].GetProperty("status").GetString() == "skipped", "the customer text skipped")).GetProperty("texts")[0];
        text.GetProperty("reason").GetString()!.ShouldContain("opted out");
        (await Texting.SentToAsync(guest)).Where(m => m.GetProperty("direction").GetString() == "outbound-api").ShouldBeEmpty();
    }

    [Theory]
    [InlineData("reorder")]
    [InlineData("duplicate")]
    public async Task ReorderedOrDuplicatedCallbacksEndAtTheRightStatus(string mode)
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        (await Texting.Control.PostAsJsonAsync("/_fake/callbacks", new { mode })).EnsureSuccessStatusCode();
        try
        {
            var url = await site.PromiseAsync(desk, guest);

            var sent = (await site.SentAsync(guest, 1)).Single();
            await TextingApp.EventuallyAsync(() => MessageAsync(sent.GetProperty("sid").GetString()!),
                m => m.GetProperty("callbacks").GetArrayLength() >= 3, "the callbacks delivered");
            var view = await TextingApp.EventuallyAsync(() => site.ViewAsync(desk, url),
                v => v.GetProperty("texts")[0].GetProperty("status").GetString() == "delivered", "the text delivered");
            view.GetProperty("texts")[0].GetProperty("status").GetString().ShouldBe("delivered");
        }
        finally
        {
            await Texting.Control.PostAsJsonAsync("/_fake/callbacks", new { mode = "normal" });
        }
    }

    private async Task<JsonElement> MessageAsync(string sid) =>
        await Texting.Control.GetFromJsonAsync<JsonElement>($"/_fake/messages/{sid}");
}

/// <summary>A process that dies between Twilio's 201 and recording it: the next one finds the message, and sends nothing.</summary>
public sealed class CrashBetweenSendAndRecordTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task TheTextIsStillSentOnceAfterARestart()
    {
        var table = azurite.NewTableName("textcrash");
        var guest = TextingApp.NewMobile();
        string url;
        string site;
        await using var fake = await localtwilio::Commitments.LocalTwilio.LocalTwilioServer.StartAsync(new()
        {
            PhoneNumbers = [new() { Number = TextingApp.OurNumber }],
        });
        var slow = new Dictionary<string, string?> { ["Twilio:RequestTimeout"] = "00:00:30" };
        await using (var first = await TextingApp.StartAsync(azurite, table, fake, slow))
        {
            var s = await TextsTestSite.CreateAsync(first);
            site = s.Id;
            using var desk = await s.SignInAsync("desk1");
            // Twilio creates the message but answers only after the process is gone.
            (await first.Control.PostAsJsonAsync("/_fake/faults", new { kind = "timeout-after-create", count = 1, delayMs = 10000 })).EnsureSuccessStatusCode();
            url = await s.PromiseAsync(desk, guest);
            await s.SentAsync(guest, 1);
        }

        await using var second = await TextingApp.StartAsync(azurite, table, fake);
        using var client = await second.App.SignInAsync("desk1", "1234", site);
        var view = await TextingApp.EventuallyAsync(async () => await (await client.GetAsync(url)).JsonAsync(),
            v => v.GetProperty("texts")[0].GetProperty("status").GetString() is "queued" or "sending" or "sent" or "delivered",
            "the text recorded as sent");
        view.GetProperty("texts")[0].GetProperty("sentAt").GetString().ShouldNotBeNull();
        (await second.SentToAsync(guest)).Count.ShouldBe(1);
    }
}
