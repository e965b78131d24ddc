using Commitments.LocalTwilio.Signing;

namespace Commitments.LocalTwilio.Tests.Delivery;

public sealed class LifecycleTests
{
    private static IEnumerable<string> Statuses(IEnumerable<ReceivedWebhook> callbacks) => callbacks.Select(c => c["MessageStatus"]);

    [Fact]
    public async Task EachStatusAfterTheFirstIsCalledBackSignedOverTheExactUrl()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        var callbackUrl = app.Url("/twilio/status?msgID=42&note=a%20b");
        var m = await twilio.SendOkAsync(("StatusCallback", callbackUrl));

        var callbacks = await app.TakeAsync(3);

        Statuses(callbacks).ShouldBe(["sending", "sent", "delivered"]);
        foreach (var callback in callbacks)
        {
            callback.Url.ShouldBe(callbackUrl);
            TwilioSignature.IsValid(twilio.Options.AuthToken, callbackUrl, callback.Form, callback.Signature).ShouldBeTrue();
            callback["MessageSid"].ShouldBe(m.Str("sid"));
            callback["SmsSid"].ShouldBe(m.Str("sid"));
            callback["SmsStatus"].ShouldBe(callback["MessageStatus"]);
            callback["AccountSid"].ShouldBe(twilio.Options.AccountSid);
            callback["From"].ShouldBe(LocalTwilioHarness.Number);
            callback["To"].ShouldBe(LocalTwilioHarness.Handset);
            callback["ApiVersion"].ShouldBe("2010-04-01");
            callback.Has("ErrorCode").ShouldBeFalse();
            callback.Has("MessagingServiceSid").ShouldBeFalse();
        }
        callbacks[2]["RawDlrDoneDate"].ShouldMatch(@"^\d{10}$");
        callbacks[0].Has("RawDlrDoneDate").ShouldBeFalse();
    }

    [Fact]
    public async Task TheSignatureUsesThePrimaryAuthTokenNotTheApiKeySecret()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.SendOkAsync(("StatusCallback", app.Url("/status")));

        var callback = (await app.TakeAsync(1))[0];

        TwilioSignature.IsValid(twilio.Options.ApiKeySecret, callback.Url, callback.Form, callback.Signature).ShouldBeFalse();
        TwilioSignature.IsValid(twilio.Options.AuthToken, callback.Url + "&x=1", callback.Form, callback.Signature).ShouldBeFalse();
    }

    [Fact]
    public async Task WithAServiceTheLifecycleStartsAtAcceptedAndNamesTheService()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.SendOkAsync(("MessagingServiceSid", LocalTwilioHarness.ServiceSid), ("StatusCallback", app.Url("/status")));

        var callbacks = await app.TakeAsync(4);

        Statuses(callbacks).ShouldBe(["queued", "sending", "sent", "delivered"]);
        callbacks.ShouldAllBe(c => c["MessagingServiceSid"] == LocalTwilioHarness.ServiceSid);
    }

    [Fact]
    public async Task UndeliveredCarriesItsErrorCodeAndDoneDate()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.PostControlAsync("/_fake/lifecycle", new { finalStatus = "undelivered", errorCode = 30005 });
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")))).Str("sid");

        var callbacks = await app.TakeAsync(3);
        var fetched = await (await twilio.Twilio.GetAsync(twilio.MessagePath(sid))).JsonAsync();

        Statuses(callbacks).ShouldBe(["sending", "sent", "undelivered"]);
        callbacks[2]["ErrorCode"].ShouldBe("30005");
        callbacks[2]["RawDlrDoneDate"].ShouldMatch(@"^\d{10}$");
        fetched.GetProperty("error_code").GetInt32().ShouldBe(30005);
        fetched.Str("status").ShouldBe("undelivered");
    }

    [Fact]
    public async Task FailedHappensBeforeSentWithADefaultErrorCode()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.PostControlAsync("/_fake/lifecycle", new { finalStatus = "failed" });
        await twilio.SendOkAsync(("StatusCallback", app.Url("/status")));

        var callbacks = await app.TakeAsync(2);

        Statuses(callbacks).ShouldBe(["sending", "failed"]);
        callbacks[1]["ErrorCode"].ShouldBe("30008");
        callbacks[1].Has("RawDlrDoneDate").ShouldBeFalse();
    }

    [Fact]
    public async Task ReorderSendsTheLastStatusFirst()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.PostControlAsync("/_fake/callbacks", new { mode = "reorder" });
        await twilio.SendOkAsync(("StatusCallback", app.Url("/status")));

        Statuses(await app.TakeAsync(3)).ShouldBe(["delivered", "sent", "sending"]);
    }

    [Fact]
    public async Task DuplicateSendsEachCallbackTwiceWithOneIdempotencyToken()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.PostControlAsync("/_fake/callbacks", new { mode = "duplicate" });
        await twilio.SendOkAsync(("StatusCallback", app.Url("/status")));

        var callbacks = await app.TakeAsync(6);

        Statuses(callbacks).ShouldBe(["sending", "sending", "sent", "sent", "delivered", "delivered"]);
        callbacks[0].IdempotencyToken.ShouldNotBeNullOrEmpty();
        callbacks[1].IdempotencyToken.ShouldBe(callbacks[0].IdempotencyToken);
        callbacks[2].IdempotencyToken.ShouldNotBe(callbacks[0].IdempotencyToken);
    }

    [Fact]
    public async Task DropSendsNothingButTheFakeRecordsWhatItDropped()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        await twilio.PostControlAsync("/_fake/callbacks", new { mode = "drop" });
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")))).Str("sid");

        var m = await twilio.WaitForMessageAsync(sid, m => m.GetProperty("callbacks").GetArrayLength() == 3, "three dropped callbacks");

        m.Str("status").ShouldBe("delivered");
        m.GetProperty("callbacks").EnumerateArray().ShouldAllBe(c => c.GetProperty("dropped").GetBoolean());
        app.Pending.ShouldBe(0);
    }

    [Fact]
    public async Task WithTheLifecyclePausedAStatusSetByHandIsCalledBackAndRecorded()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync(o => o.Lifecycle.Auto = false);
        await using var app = await WebhookReceiver.StartAsync();
        app.Answer = context =>
        {
            context.Response.StatusCode = 202;
            return Task.CompletedTask;
        };
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")))).Str("sid");

        var m = await twilio.PostControlAsync($"/_fake/messages/{sid}/status", new { status = "undelivered", errorCode = 30003 });
        var callback = (await app.TakeAsync(1))[0];

        callback["MessageStatus"].ShouldBe("undelivered");
        callback["ErrorCode"].ShouldBe("30003");
        m.Str("status").ShouldBe("undelivered");
        m.GetProperty("statusHistory").EnumerateArray().Select(h => h.Str("status")).ShouldBe(["queued", "undelivered"]);
        var record = m.GetProperty("callbacks")[0];
        record.GetProperty("responseStatus").GetInt32().ShouldBe(202);
        record.Str("url").ShouldBe(app.Url("/status"));
        record.Str("status").ShouldBe("undelivered");
    }

    [Fact]
    public async Task AMessageStuckPastItsValidityPeriodFailsWith30036()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync(o => o.Lifecycle.Auto = false);
        await using var app = await WebhookReceiver.StartAsync();
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")), ("ValidityPeriod", "1"))).Str("sid");

        var callback = (await app.TakeAsync(1))[0];
        var fetched = await (await twilio.Twilio.GetAsync(twilio.MessagePath(sid))).JsonAsync();

        callback["MessageStatus"].ShouldBe("failed");
        callback["ErrorCode"].ShouldBe("30036");
        fetched.GetProperty("error_code").GetInt32().ShouldBe(30036);
    }

    [Fact]
    public async Task AMessageThatGoesOutInTimeDoesNotExpire()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await using var app = await WebhookReceiver.StartAsync();
        var sid = (await twilio.SendOkAsync(("StatusCallback", app.Url("/status")), ("ValidityPeriod", "1"))).Str("sid");
        await app.TakeAsync(3);

        // Past the validity period the message is still delivered: the expiry found it already sent.
        var m = await twilio.WaitForMessageAsync(
            sid,
            m => DateTimeOffset.UtcNow - m.GetProperty("statusHistory")[0].GetProperty("at").GetDateTimeOffset() > TimeSpan.FromSeconds(1.3),
            "its validity period behind it");

        m.Str("status").ShouldBe("delivered");
    }

    [Fact]
    public async Task ResetForgetsMessagesFaultsOptOutsAndModesButKeepsNumbers()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.SendOkAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "503" });
        await twilio.PostControlAsync("/_fake/callbacks", new { mode = "drop" });
        await twilio.ControlAsync(HttpMethod.Put, $"/_fake/numbers/{LocalTwilioHarness.Number}", new { smsUrl = "http://127.0.0.1:9/sms" });
        await twilio.PostControlAsync("/_fake/handset/send", new { from = LocalTwilioHarness.Handset, to = LocalTwilioHarness.PoolA, body = "STOP" });

        await twilio.PostControlAsync("/_fake/reset", new { });

        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/messages")).GetArrayLength().ShouldBe(0);
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/faults")).GetArrayLength().ShouldBe(0);
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/optouts")).GetArrayLength().ShouldBe(0);
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/callbacks")).Str("mode").ShouldBe("normal");
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/numbers")).EnumerateArray()
            .Single(n => n.Str("number") == LocalTwilioHarness.Number).Str("smsUrl").ShouldBe("http://127.0.0.1:9/sms");
    }
}
