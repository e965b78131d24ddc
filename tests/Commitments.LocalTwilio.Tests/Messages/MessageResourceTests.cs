using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Commitments.LocalTwilio.Tests.Messages;

public sealed class MessageResourceTests
{
    private const string Rfc2822 = @"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} \+0000$";

    [Fact]
    public async Task ACreatedMessageHasTwiliosWireShape()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var m = await twilio.SendOkAsync(("Body", "Your table is ready."));

        m.Str("sid").ShouldMatch("^SM[0-9a-f]{32}$");
        m.Str("account_sid").ShouldBe(twilio.Options.AccountSid);
        m.GetProperty("messaging_service_sid").ValueKind.ShouldBe(JsonValueKind.Null);
        m.Str("from").ShouldBe(LocalTwilioHarness.Number);
        m.Str("to").ShouldBe(LocalTwilioHarness.Handset);
        m.Str("body").ShouldBe("Your table is ready.");
        m.Str("status").ShouldBe("queued");
        m.Str("direction").ShouldBe("outbound-api");
        m.Str("num_segments").ShouldBe("1");
        m.Str("num_media").ShouldBe("0");
        m.GetProperty("price").ValueKind.ShouldBe(JsonValueKind.Null);
        m.Str("price_unit").ShouldBe("USD");
        m.GetProperty("error_code").ValueKind.ShouldBe(JsonValueKind.Null);
        m.GetProperty("error_message").ValueKind.ShouldBe(JsonValueKind.Null);
        m.Str("date_created").ShouldMatch(Rfc2822);
        m.Str("date_updated").ShouldMatch(Rfc2822);
        m.Str("api_version").ShouldBe("2010-04-01");
        m.Str("uri").ShouldBe(twilio.MessagePath(m.Str("sid")));
        m.GetProperty("subresource_uris").Str("media").ShouldBe(twilio.MessagePath(m.Str("sid")).Replace(".json", "/Media.json"));
    }

    [Fact]
    public async Task WithAServiceTheMessageIsAcceptedFromAPoolNumber()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var m = await twilio.SendOkAsync(("MessagingServiceSid", LocalTwilioHarness.ServiceSid));

        m.Str("status").ShouldBe("accepted");
        m.Str("messaging_service_sid").ShouldBe(LocalTwilioHarness.ServiceSid);
        m.Str("from").ShouldBeOneOf(LocalTwilioHarness.PoolA, LocalTwilioHarness.PoolB);
    }

    [Fact]
    public async Task MediaMakesAnMmsSid()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var m = await twilio.SendOkAsync(("MediaUrl", "https://example.com/a.jpg"), ("MediaUrl", "https://example.com/b.jpg"));

        m.Str("sid").ShouldMatch("^MM[0-9a-f]{32}$");
        m.Str("num_media").ShouldBe("2");
    }

    [Fact]
    public async Task FetchReturnsTheMessageAndAnUnknownSidIs20404()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sid = (await twilio.SendOkAsync()).Str("sid");

        var fetched = await (await twilio.Twilio.GetAsync(twilio.MessagePath(sid))).JsonAsync();
        using var missing = await twilio.Twilio.GetAsync(twilio.MessagePath("SM00000000000000000000000000000000"));

        fetched.Str("sid").ShouldBe(sid);
        await missing.ShouldBeTwilioErrorAsync(HttpStatusCode.NotFound, 20404);
    }

    [Fact]
    public async Task TheListFiltersOnToAndFrom()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.SendOkAsync(("To", "+12025551111"));
        var wanted = (await twilio.SendOkAsync(("To", "+12025552222"))).Str("sid");
        await twilio.SendOkAsync(("To", "+12025552222"), ("From", LocalTwilioHarness.PoolA));

        var page = await (await twilio.Twilio.GetAsync($"{twilio.MessagesPath}?To=%2B12025552222&From=%2B12025550100")).JsonAsync();

        page.GetProperty("messages").EnumerateArray().Select(m => m.Str("sid")).ShouldBe([wanted]);
        page.Str("uri").ShouldContain("To=%2B12025552222");
    }

    [Theory]
    [InlineData("DateSent>={0}")]
    [InlineData("DateSent%3E={0}")]
    public async Task DateSentAfterFindsAMessageJustCreatedInEitherSpelling(string filter)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync(o => o.Lifecycle.Auto = false);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var sid = (await twilio.SendOkAsync()).Str("sid");

        var after = await (await twilio.Twilio.GetAsync($"{twilio.MessagesPath}?To=%2B12025551234&" + string.Format(CultureInfo.InvariantCulture, filter, before))).JsonAsync();
        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        var none = await (await twilio.Twilio.GetAsync($"{twilio.MessagesPath}?" + string.Format(CultureInfo.InvariantCulture, filter, future))).JsonAsync();
        var beforeYesterday = await (await twilio.Twilio.GetAsync($"{twilio.MessagesPath}?DateSent<={DateTimeOffset.UtcNow.AddDays(-1):yyyy-MM-dd}")).JsonAsync();

        after.GetProperty("messages").EnumerateArray().Select(m => m.Str("sid")).ShouldBe([sid]);
        none.GetProperty("messages").GetArrayLength().ShouldBe(0);
        beforeYesterday.GetProperty("messages").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task TheListPagesNewestFirstThroughNextPageUri()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            sids.Add((await twilio.SendOkAsync(("Body", $"Message {i}"))).Str("sid"));
        }

        var first = await (await twilio.Twilio.GetAsync($"{twilio.MessagesPath}?PageSize=2")).JsonAsync();
        var second = await (await twilio.Twilio.GetAsync(first.Str("next_page_uri"))).JsonAsync();

        first.GetProperty("messages").EnumerateArray().Select(m => m.Str("sid")).ShouldBe([sids[2], sids[1]]);
        first.GetProperty("page").GetInt32().ShouldBe(0);
        first.GetProperty("page_size").GetInt32().ShouldBe(2);
        first.GetProperty("start").GetInt32().ShouldBe(0);
        first.GetProperty("end").GetInt32().ShouldBe(1);
        first.GetProperty("previous_page_uri").ValueKind.ShouldBe(JsonValueKind.Null);
        first.Str("first_page_uri").ShouldContain("PageSize=2");
        second.GetProperty("messages").EnumerateArray().Select(m => m.Str("sid")).ShouldBe([sids[0]]);
        second.GetProperty("page").GetInt32().ShouldBe(1);
        second.GetProperty("next_page_uri").ValueKind.ShouldBe(JsonValueKind.Null);
        second.Str("previous_page_uri").ShouldContain("Page=0");
    }

    [Fact]
    public async Task AQueuedMessageCanBeCanceledOnceAndItsCallbackSays()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync(o => o.Lifecycle.Auto = false);
        await using var app = await WebhookReceiver.StartAsync();
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")))).Str("sid");

        var canceled = await (await twilio.Twilio.PostAsync(twilio.MessagePath(sid), LocalTwilioHarness.Form(("Status", "canceled")))).JsonAsync();
        var callback = (await app.TakeAsync(1))[0];
        using var again = await twilio.Twilio.PostAsync(twilio.MessagePath(sid), LocalTwilioHarness.Form(("Status", "canceled")));

        canceled.Str("status").ShouldBe("canceled");
        callback["MessageStatus"].ShouldBe("canceled");
        await again.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 30409);
    }

    [Fact]
    public async Task ADeliveredMessageCannotBeCanceled()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sid = (await twilio.SendOkAsync()).Str("sid");
        await twilio.WaitForStatusAsync(sid, "delivered");

        using var response = await twilio.Twilio.PostAsync(twilio.MessagePath(sid), LocalTwilioHarness.Form(("Status", "canceled")));

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 30409);
    }

    [Fact]
    public async Task PostingAnEmptyBodyRedactsIt()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sid = (await twilio.SendOkAsync(("Body", "Door code 4321"))).Str("sid");

        using var redacted = await twilio.Twilio.PostAsync(twilio.MessagePath(sid), LocalTwilioHarness.Form(("Body", "")));
        using var rewrite = await twilio.Twilio.PostAsync(twilio.MessagePath(sid), LocalTwilioHarness.Form(("Body", "Something else")));

        redacted.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await redacted.JsonAsync()).Str("body").ShouldBe("");
        await rewrite.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 20001);
    }

    [Fact]
    public async Task DeleteIs204AndTheMessageIsGoneFromFetchAndList()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sid = (await twilio.SendOkAsync()).Str("sid");

        using var deleted = await twilio.Twilio.DeleteAsync(twilio.MessagePath(sid));
        using var fetched = await twilio.Twilio.GetAsync(twilio.MessagePath(sid));
        using var again = await twilio.Twilio.DeleteAsync(twilio.MessagePath(sid));
        var list = await (await twilio.Twilio.GetAsync(twilio.MessagesPath)).JsonAsync();

        deleted.StatusCode.ShouldBe(HttpStatusCode.NoContent);
        await fetched.ShouldBeTwilioErrorAsync(HttpStatusCode.NotFound, 20404);
        await again.ShouldBeTwilioErrorAsync(HttpStatusCode.NotFound, 20404);
        list.GetProperty("messages").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task AFixedScheduleNeedsAServiceAndWaitsAsScheduledUntilCanceled()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var sendAt = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

        using var withoutService = await twilio.SendAsync(
            ("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"), ("ScheduleType", "fixed"), ("SendAt", sendAt));
        var scheduled = await twilio.SendOkAsync(("MessagingServiceSid", LocalTwilioHarness.ServiceSid), ("ScheduleType", "fixed"), ("SendAt", sendAt));
        var canceled = await (await twilio.Twilio.PostAsync(twilio.MessagePath(scheduled.Str("sid")), LocalTwilioHarness.Form(("Status", "canceled")))).JsonAsync();

        await withoutService.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 35118);
        scheduled.Str("status").ShouldBe("scheduled");
        canceled.Str("status").ShouldBe("canceled");
    }
}
