using System.Net;
using System.Text.Json;
using Commitments.LocalTwilio.Signing;
using Microsoft.AspNetCore.Http;

namespace Commitments.LocalTwilio.Tests.Handsets;

public sealed class HandsetTests
{
    private const string Handset = LocalTwilioHarness.Handset;
    private const string Number = LocalTwilioHarness.Number;

    private static async Task<(LocalTwilioHarness Twilio, WebhookReceiver App)> StartAsync(string answer = "<Response/>")
    {
        var twilio = await LocalTwilioHarness.StartAsync();
        var app = await WebhookReceiver.StartAsync();
        app.Answer = context => Xml(context, answer);
        foreach (var number in new[] { Number, LocalTwilioHarness.PoolA, LocalTwilioHarness.PoolB })
        {
            await twilio.ControlAsync(HttpMethod.Put, $"/_fake/numbers/{number}", new { smsUrl = app.Url("/twilio/sms?site=7") });
        }
        return (twilio, app);
    }

    private static Task Xml(HttpContext context, string body)
    {
        context.Response.ContentType = "text/xml; charset=utf-8";
        return context.Response.WriteAsync(body);
    }

    private static Task<JsonElement> TextAsync(LocalTwilioHarness twilio, string body, string to = Number) =>
        twilio.PostControlAsync("/_fake/handset/send", new { from = Handset, to, body });

    [Fact]
    public async Task TheInboundWebhookIsSignedAndCarriesTheFullParameterSet()
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;

        var result = await TextAsync(twilio, "Is the pool open?");
        var webhook = (await app.TakeAsync(1))[0];

        webhook.Url.ShouldBe(app.Url("/twilio/sms?site=7"));
        TwilioSignature.IsValid(twilio.Options.AuthToken, webhook.Url, webhook.Form, webhook.Signature).ShouldBeTrue();
        webhook["MessageSid"].ShouldBe(result.Str("sid"));
        webhook["MessageSid"].ShouldMatch("^SM[0-9a-f]{32}$");
        webhook["SmsSid"].ShouldBe(result.Str("sid"));
        webhook["SmsMessageSid"].ShouldBe(result.Str("sid"));
        webhook["AccountSid"].ShouldBe(twilio.Options.AccountSid);
        webhook["From"].ShouldBe(Handset);
        webhook["To"].ShouldBe(Number);
        webhook["Body"].ShouldBe("Is the pool open?");
        webhook["NumMedia"].ShouldBe("0");
        webhook["NumSegments"].ShouldBe("1");
        webhook["SmsStatus"].ShouldBe("received");
        webhook["ApiVersion"].ShouldBe("2010-04-01");
        webhook["FromCountry"].ShouldBe("US");
        webhook.Has("MessagingServiceSid").ShouldBeFalse();
        webhook.Has("OptOutType").ShouldBeFalse();
        result.GetProperty("valid").GetBoolean().ShouldBeTrue();
        result.GetProperty("responseStatus").GetInt32().ShouldBe(200);
    }

    [Fact]
    public async Task TwimlRepliesAreRecordedAsMessagesInTheHandsetsConversation()
    {
        var (twilio, app) = await StartAsync("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>Yes, until 9pm.</Message><Message><Body>Towels at the desk.</Body></Message></Response>");
        await using var _ = twilio;
        await using var __ = app;

        var result = await TextAsync(twilio, "Is the pool open?");
        var conversations = await twilio.ControlAsync(HttpMethod.Get, "/_fake/conversations");

        result.GetProperty("replies").EnumerateArray().Select(r => r.GetString()).ShouldBe(["Yes, until 9pm.", "Towels at the desk."]);
        var conversation = conversations.EnumerateArray().Single(c => c.Str("phone") == Handset);
        conversation.GetProperty("messages").EnumerateArray().Select(m => (m.Str("direction"), m.Str("from"), m.Str("body"))).ShouldBe(
        [
            ("inbound", Handset, "Is the pool open?"),
            ("outbound-reply", Number, "Yes, until 9pm."),
            ("outbound-reply", Number, "Towels at the desk."),
        ]);
    }

    [Fact]
    public async Task StopBlocksThePairWithAnAutoReplyUntilStart()
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;

        var stop = await TextAsync(twilio, "  stop ");
        using var blocked = await twilio.SendAsync(("To", Handset), ("From", Number), ("Body", "Hi"));
        var optOuts = await twilio.ControlAsync(HttpMethod.Get, "/_fake/optouts");
        var start = await TextAsync(twilio, "START");

        stop.Str("autoReply").ShouldContain("unsubscribed");
        (await app.TakeAsync(2))[0]["Body"].ShouldBe("  stop ");
        await blocked.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 21610);
        optOuts.EnumerateArray().Select(o => (o.Str("handset"), o.Str("number"))).ShouldBe([(Handset, Number)]);
        start.Str("autoReply").ShouldContain("re-subscribed");
        await twilio.SendOkAsync();
    }

    [Fact]
    public async Task OnlyAWholeBodyKeywordCounts()
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;

        var result = await TextAsync(twilio, "Please stop the music");

        result.GetProperty("autoReply").ValueKind.ShouldBe(JsonValueKind.Null);
        await twilio.SendOkAsync();
    }

    [Fact]
    public async Task StopToAServiceNumberBlocksTheWholePoolAndSaysSoInOptOutType()
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;

        await TextAsync(twilio, "Unsubscribe", LocalTwilioHarness.PoolA);
        var webhook = (await app.TakeAsync(1))[0];
        using var viaService = await twilio.SendAsync(("To", Handset), ("MessagingServiceSid", LocalTwilioHarness.ServiceSid), ("Body", "Hi"));
        using var viaOtherPoolNumber = await twilio.SendAsync(("To", Handset), ("From", LocalTwilioHarness.PoolB), ("Body", "Hi"));

        webhook["OptOutType"].ShouldBe("STOP");
        webhook["MessagingServiceSid"].ShouldBe(LocalTwilioHarness.ServiceSid);
        await viaService.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 21610);
        await viaOtherPoolNumber.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 21610);
        await twilio.SendOkAsync(("From", Number));
    }

    [Fact]
    public async Task HelpGetsTwiliosAutoReplyAndIsStillForwarded()
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;

        var help = await TextAsync(twilio, "help");
        var messages = await twilio.ControlAsync(HttpMethod.Get, $"/_fake/messages?to={Uri.EscapeDataString(Handset)}");

        help.Str("autoReply").ShouldContain("Reply STOP to unsubscribe");
        (await app.TakeAsync(1))[0]["Body"].ShouldBe("help");
        messages.EnumerateArray().Single().Str("body").ShouldBe(help.Str("autoReply"));
        await twilio.SendOkAsync();
    }

    [Fact]
    public async Task ARepliedMessageToAnOptedOutHandsetFails()
    {
        var (twilio, app) = await StartAsync("<Response><Message>Sorry to see you go</Message></Response>");
        await using var _ = twilio;
        await using var __ = app;

        await TextAsync(twilio, "STOP");
        var replies = await twilio.ControlAsync(HttpMethod.Get, $"/_fake/messages?to={Uri.EscapeDataString(Handset)}&direction=outbound-reply");

        replies.EnumerateArray().Select(m => (m.Str("status"), m.GetProperty("errorCode").ValueKind == JsonValueKind.Number ? m.GetProperty("errorCode").GetInt32() : 0))
            .ShouldBe([("delivered", 0), ("failed", 21610)]);
    }

    public static TheoryData<int, string?, string, bool, string?> Answers => new()
    {
        { 200, "text/xml", "<Response/>", true, null },
        { 200, "application/xml; charset=utf-8", "<Response><Message>Hi</Message></Response>", true, null },
        { 204, null, "", true, null },
        { 500, "text/xml", "<Response/>", false, "11200" },
        { 404, "text/html", "Not found", false, "11200" },
        { 200, "application/json", "{\"ok\":true}", false, "12300" },
        { 200, "text/html", "<html><body>Hi</body></html>", false, "12300" },
        { 200, "text/xml", "not xml at all", false, "12100" },
        { 200, "text/xml", "<Reply/>", false, "12200" },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public async Task TheAppsAnswerIsValidOnlyAs2xxTwimlOr204(int status, string? contentType, string body, bool valid, string? code)
    {
        var (twilio, app) = await StartAsync();
        await using var _ = twilio;
        await using var __ = app;
        app.Answer = async context =>
        {
            context.Response.StatusCode = status;
            if (contentType is not null)
            {
                context.Response.ContentType = contentType;
            }
            if (body.Length > 0)
            {
                await context.Response.WriteAsync(body);
            }
        };

        var result = await TextAsync(twilio, "Hello");

        result.GetProperty("valid").GetBoolean().ShouldBe(valid, result.ToString());
        result.GetProperty("responseStatus").GetInt32().ShouldBe(status);
        if (code is null)
        {
            result.GetProperty("problem").ValueKind.ShouldBe(JsonValueKind.Null);
        }
        else
        {
            result.Str("problem").ShouldStartWith(code);
        }
    }

    [Fact]
    public async Task ANumberWithoutAWebhookIsReportedNotValid()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var result = await TextAsync(twilio, "Hello");

        result.GetProperty("valid").GetBoolean().ShouldBeFalse();
        result.Str("problem").ShouldContain("SmsUrl");
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/messages")).GetArrayLength().ShouldBe(1);
    }

    [Fact]
    public async Task AHandsetCanOnlyTextOneOfTheFakesNumbers()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Fake.PostAsync("/_fake/handset/send",
            System.Net.Http.Json.JsonContent.Create(new { from = Handset, to = "+12025559999", body = "Hi" }));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).ShouldContain(Number);
    }
}
