using System.Net;
using System.Text.Json;
using Commitments.Twilio;

namespace Commitments.Host.Tests.Texts;

/// <summary>Replies by text, from staff and customers, through the local Twilio's signed inbound webhook.</summary>
[Collection(TextingCollection.Name)]
public sealed class RepliesTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private static string Reply(JsonElement result) => result.GetProperty("replies").EnumerateArray().Select(r => r.GetString()).SingleOrDefault() ?? "";

    private static async Task<(TextsTestSite Site, HttpClient Desk, string Url, string Code)> OfferedToHk1Async(TextingApp texting, TextsTestSite? site = null)
    {
        site ??= await TextsTestSite.CreateAsync(texting);
        var desk = await site.SignInAsync("desk1");
        var url = await site.PromiseAsync(desk, TextingApp.NewMobile(), handoffTo: "hk1");
        var code = (await site.ViewAsync(desk, url)).GetProperty("replyCode").GetString()!;
        return (site, desk, url, code);
    }

    /// <summary>A promise made for a guest and done, with both texts (made, done) at the guest's phone.</summary>
    private async Task<(TextsTestSite Site, HttpClient Desk, string Guest, string Url)> CompletedForAGuestAsync()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        var url = await site.PromiseAsync(desk, guest);
        await desk.PostJsonAsync($"{url}/complete");
        await site.SentAsync(guest, 2);
        return (site, desk, guest, url);
    }

    [Theory]
    [InlineData("YES {0}")]
    [InlineData("  accept {0} ")]
    [InlineData("yes")]
    public async Task YesAcceptsTheHandoff(string command)
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);

        var result = await Texting.HandsetSendsAsync(site.Mobiles["hk1"], string.Format(command, code.ToLowerInvariant()));

        Reply(result).ShouldBe($"{code} is yours now: Extra towels.");
        (await site.ViewAsync(desk, url)).GetProperty("owner").GetString().ShouldBe("hk1");
    }

    [Fact]
    public async Task NoNeedsAReasonThenDeclines()
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);

        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk1"], $"NO {code}")).ShouldBe($"To decline, add a reason: NO {code} and why.");
        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk1"], $"no {code} out of towels")).ShouldBe($"You declined {code}. desk1 still owns it.");

        var view = await site.ViewAsync(desk, url);
        view.GetProperty("owner").GetString().ShouldBe("desk1");
        view.GetProperty("history").EnumerateArray().Last().GetProperty("details").GetProperty("reason").GetString().ShouldBe("out of towels");
    }

    [Fact]
    public async Task DoneAndAckActAsTheOwner()
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);
        await Texting.HandsetSendsAsync(site.Mobiles["hk1"], $"YES {code}");

        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk1"], $"ACK {code}")).ShouldBe($"Acknowledged {code}.");
        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk1"], $"DONE {code}")).ShouldBe($"Done: {code} Extra towels. Thank you!");

        var view = await site.ViewAsync(desk, url);
        view.GetProperty("status").GetString().ShouldBe("done");
        view.GetProperty("history").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ShouldContain("acknowledged");
    }

    [Fact]
    public async Task ABareYesWithTwoOffersListsTheCodes()
    {
        var (site, _, _, first) = await OfferedToHk1Async(Texting);
        var (_, _, _, second) = await OfferedToHk1Async(Texting, site);

        var reply = Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk1"], "YES"));

        reply.ShouldStartWith("Which one? Your open codes:");
        reply.ShouldContain(first);
        reply.ShouldContain(second);
    }

    [Theory]
    [InlineData("YES Z9", "No open promise has code Z9.")]
    [InlineData("what?", "Sorry, that was not understood. Reply HELP for the commands.")]
    [InlineData("HELP", "Reply YES code to accept, NO code reason to decline, DONE code when done, ACK code to acknowledge.")]
    public async Task MalformedOrUnknownCommandsGetAHelpfulAnswer(string body, string expected)
    {
        var site = await TextsTestSite.CreateAsync(Texting);

        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk2"], body)).ShouldBe(expected);
    }

    [Fact]
    public async Task SomeoneElseCannotAcceptAnotherPersonsOffer()
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);

        Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk2"], $"YES {code}")).ShouldStartWith($"{code}: This handoff was offered to hk1");
        (await site.ViewAsync(desk, url)).GetProperty("owner").GetString().ShouldBe("desk1");
    }

    [Fact]
    public async Task RepliesThatActOnNothingStopAfterFive()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        var replies = new List<string>();
        for (var i = 0; i < 7; i++)
        {
            replies.Add(Reply(await Texting.HandsetSendsAsync(site.Mobiles["hk2"], "hello?")));
        }

        replies.Take(5).ShouldAllBe(r => r.Length > 0);
        replies.Skip(5).ShouldAllBe(r => r.Length == 0);
    }

    [Fact]
    public async Task AnUnknownNumberGetsNoAnswer()
    {
        var result = await Texting.HandsetSendsAsync(TextingApp.NewMobile(), "YES");

        result.GetProperty("responseStatus").GetInt32().ShouldBe(204);
        Reply(result).ShouldBeEmpty();
    }

    [Fact]
    public async Task ACustomerReplyIsRecordedAndForwardedToTheOwner()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        var url = await site.PromiseAsync(desk, guest);
        await site.SentAsync(guest, 1);

        var result = await Texting.HandsetSendsAsync(guest, "Can you bring a bathrobe too?");

        result.GetProperty("responseStatus").GetInt32().ShouldBe(204);
        var forwarded = TextsTestSite.Body((await site.SentAsync(site.Mobiles["desk1"], 1)).Single());
        forwarded.ShouldContain("Ana Silva (room 412)");
        forwarded.ShouldContain("Can you bring a bathrobe too?");
        var history = (await site.ViewAsync(desk, url)).GetProperty("history").EnumerateArray().Last();
        history.GetProperty("type").GetString().ShouldBe("customer-replied");
        history.GetProperty("actor").GetString().ShouldBe("customer:customer");
    }

    [Fact]
    public async Task AfterCompletionTheCustomerRatesOrReopensIt()
    {
        var (site, desk, guest, url) = await CompletedForAGuestAsync();
        using var _ = desk;

        Reply(await Texting.HandsetSendsAsync(guest, "5")).ShouldBe("Thank you for rating us 5 out of 5.");
        (await site.ViewAsync(desk, url)).GetProperty("rating").GetInt32().ShouldBe(5);

        Reply(await Texting.HandsetSendsAsync(guest, "NOT DONE")).ShouldStartWith("Sorry! We reopened it: Dana Whitfield will be on it by");
        var view = await site.ViewAsync(desk, url);
        view.GetProperty("status").GetString().ShouldBe("open");
        view.GetProperty("owner").GetString().ShouldBe("desk1");
        // One text to the owner says both (the guest's words and the reopening): the reply is not forwarded as well.
        var toOwner = view.GetProperty("texts").EnumerateArray().Where(t => t.GetProperty("recipientRole").GetString() == "owner").Select(t => t.GetProperty("kind").GetString()).ToList();
        toOwner.ShouldBe(["customer-replied", "customer-reopened"], "the rating's forward, then the one text about NOT DONE");
        TextsTestSite.Body((await site.SentAsync(site.Mobiles["desk1"], 2)).Last()).ShouldContain("is NOT done");
        TextsTestSite.Body((await site.SentAsync(site.Mobiles["mgr1"], 1)).Last()).ShouldContain("is NOT done");
    }

    [Fact]
    public async Task AGuestWhoRatesAgainReplacesTheirRatingInTheGapMap()
    {
        var (site, desk, guest, url) = await CompletedForAGuestAsync();
        using var _ = desk;

        foreach (var rating in new[] { "1", "1", "5", "4" })
        {
            Reply(await Texting.HandsetSendsAsync(guest, rating)).ShouldBe($"Thank you for rating us {rating} out of 5.");
        }

        (await site.ViewAsync(desk, url)).GetProperty("rating").GetInt32().ShouldBe(4);
        var info = (await Texting.App.Grains.GetGrain<Grains.Sites.ISiteGrain>(site.Id).GetInfo())!;
        var today = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow, info.Zone).DateTime);
        var day = Grains.Insights.IInsightDayGrain.For(Texting.App.Grains, site.Id, today);
        // The roll-up is told after each write, one-way: wait for the last rating to arrive.
        var counted = await TextingApp.EventuallyAsync(() => day.Get(), d => d.Ratings.Count == 1 && d.Ratings.Values.Single().Rating == 4, "the latest rating counted");
        counted.Teams.Values.Sum(t => t.Ratings).ShouldBe(1);
        counted.Teams.Values.Sum(t => t.RatingSum).ShouldBe(4);

        // Counted again from the stored promise, the same.
        await day.Replace(new Grains.Insights.InsightDayState());
        using var manager = await site.SignInAsync("mgr1");
        (await manager.PostJsonAsync($"/api/sites/{site.Id}/insights/rebuild")).EnsureSuccessStatusCode();
        var rebuilt = await day.Get();
        rebuilt.Teams.Values.Sum(t => t.Ratings).ShouldBe(1);
        rebuilt.Teams.Values.Sum(t => t.RatingSum).ShouldBe(4);
    }

    [Fact]
    public async Task AColleagueStayingAsAGuestRepliesAsTheCustomerUnlessItIsACommand()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var colleague = site.Mobiles["hk2"];
        var url = await site.PromiseAsync(desk, colleague);
        await desk.PostJsonAsync($"{url}/complete");
        await site.SentAsync(colleague, 2);

        Reply(await Texting.HandsetSendsAsync(colleague, "4")).ShouldBe("Thank you for rating us 4 out of 5.");
        Reply(await Texting.HandsetSendsAsync(colleague, "HELP")).ShouldStartWith("Reply YES code to accept");
    }

    [Fact]
    public async Task ANumberThatIsNobodysGetsNoAnswerAndLeavesNoRecord()
    {
        var stranger = TextingApp.NewMobile();

        var result = await Texting.HandsetSendsAsync(stranger, "hello?");

        result.GetProperty("responseStatus").GetInt32().ShouldBe(204);
        var storage = Microsoft.Extensions.DependencyInjection.ServiceProviderKeyedServiceExtensions.GetRequiredKeyedService<Orleans.Storage.IGrainStorage>(
            Texting.App.Services, Orleans.Providers.ProviderConstants.DEFAULT_STORAGE_PROVIDER_NAME);
        var stored = new GrainState<Grains.Texts.HandsetState>(new());
        await storage.ReadStateAsync(Grains.Texts.HandsetGrain.StateName, Grains.Texts.IHandsetGrain.For(Texting.App.Grains, stranger).GetGrainId(), stored);
        stored.RecordExists.ShouldBeFalse();

        // A phone we did text keeps its record as before (a reply must find the promise it answers).
        var site = await TextsTestSite.CreateAsync(Texting);
        using var desk = await site.SignInAsync("desk1");
        var guest = TextingApp.NewMobile();
        await site.PromiseAsync(desk, guest);
        await site.SentAsync(guest, 1);
        await Texting.HandsetSendsAsync(guest, "Thanks!");
        await storage.ReadStateAsync(Grains.Texts.HandsetGrain.StateName, Grains.Texts.IHandsetGrain.For(Texting.App.Grains, guest).GetGrainId(), stored);
        stored.RecordExists.ShouldBeTrue();
    }

    [Fact]
    public async Task TwilioRetryingTheSameInboundMessageActsOnce()
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"),
            ["From"] = site.Mobiles["hk1"],
            ["To"] = TextingApp.OurNumber,
            ["Body"] = $"YES {code}",
            ["AccountSid"] = Texting.Fake.Options.AccountSid,
        };

        using var http = new HttpClient();
        var first = await PostSignedAsync(http, form);
        var again = await PostSignedAsync(http, form);

        (await first.Content.ReadAsStringAsync()).ShouldBe(await again.Content.ReadAsStringAsync());
        (await site.ViewAsync(desk, url)).GetProperty("history").EnumerateArray().Count(e => e.GetProperty("type").GetString() == "handoff-accepted").ShouldBe(1);
    }

    [Fact]
    public async Task AForgedOrAlteredWebhookIs403AndChangesNothing()
    {
        var (site, desk, url, code) = await OfferedToHk1Async(Texting);
        var form = new Dictionary<string, string>
        {
            ["MessageSid"] = "SM" + Guid.NewGuid().ToString("N"),
            ["From"] = site.Mobiles["hk1"],
            ["To"] = TextingApp.OurNumber,
            ["Body"] = $"NO {code} busy",
        };
        using var http = new HttpClient();
        var inbound = $"{Texting.BaseUrl}/webhooks/twilio/inbound";

        var forged = new HttpRequestMessage(HttpMethod.Post, inbound) { Content = new FormUrlEncodedContent(form) };
        forged.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute("not-the-token", inbound, form));
        (await http.SendAsync(forged)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        // A real signature, replayed with one parameter changed.
        var signature = TwilioSignature.Compute(Texting.Fake.Options.AuthToken, inbound, form);
        var altered = new Dictionary<string, string>(form) { ["Body"] = $"YES {code}" };
        var replayed = new HttpRequestMessage(HttpMethod.Post, inbound) { Content = new FormUrlEncodedContent(altered) };
        replayed.Headers.Add(TwilioSignature.Header, signature);
        (await http.SendAsync(replayed)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var status = new HttpRequestMessage(HttpMethod.Post, $"{Texting.BaseUrl}/webhooks/twilio/status?site={site.Id}&promise=x&text=y")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["MessageSid"] = "SM1", ["MessageStatus"] = "delivered" }),
        };
        (await http.SendAsync(status)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var view = await site.ViewAsync(desk, url);
        view.GetProperty("owner").GetString().ShouldBe("desk1");
        view.GetProperty("pendingHandoff").GetProperty("to").GetString().ShouldBe("hk1");
    }

    [Fact]
    public async Task BodiesLargerThanAnyValidRequestAre413AndAnUnsignedWebhookIsNeverRead()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var inbound = $"{Texting.BaseUrl}/webhooks/twilio/inbound";

        // Declared too large: refused before a byte is read, signed or not.
        var huge = new Dictionary<string, string> { ["MessageSid"] = "SM1", ["From"] = TextingApp.NewMobile(), ["Body"] = new string('x', 100_000) };
        var big = new HttpRequestMessage(HttpMethod.Post, inbound) { Content = new FormUrlEncodedContent(huge) };
        big.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(Texting.Fake.Options.AuthToken, inbound, huge));
        await (await http.SendAsync(big)).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body");

        // Sent in chunks with no length: the server stops at the limit.
        var chunked = new HttpRequestMessage(HttpMethod.Post, $"{Texting.BaseUrl}/api/auth/pin")
        {
            Content = new StreamContent(new MemoryStream(System.Text.Encoding.UTF8.GetBytes($$"""{"site":"demo","staff":"desk1","pin":"{{new string('1', 200_000)}}"}"""))),
        };
        chunked.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        chunked.Headers.TransferEncodingChunked = true;
        await (await http.SendAsync(chunked)).ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge, "body");

        // No signature header: answered at once, without waiting for the body (which never comes).
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("127.0.0.1", new Uri(Texting.BaseUrl).Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(
            "POST /webhooks/twilio/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 20000\r\n\r\nBody="));
        using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(15));
        statusLine.ShouldBe("HTTP/1.1 403 Forbidden");
    }

    private async Task<HttpResponseMessage> PostSignedAsync(HttpClient http, Dictionary<string, string> form)
    {
        var inbound = $"{Texting.BaseUrl}/webhooks/twilio/inbound";
        var request = new HttpRequestMessage(HttpMethod.Post, inbound) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add(TwilioSignature.Header, TwilioSignature.Compute(Texting.Fake.Options.AuthToken, inbound, form));
        var response = await http.SendAsync(request);
        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        return response;
    }
}
