using System.Diagnostics;
using System.Net;
using System.Text.Json;

namespace Commitments.LocalTwilio.Tests.Faults;

public sealed class FaultTests
{
    private static async Task<int> CountMessagesAsync(LocalTwilioHarness twilio) =>
        (await (await twilio.Twilio.GetAsync(twilio.MessagesPath)).JsonAsync()).GetProperty("messages").GetArrayLength();

    [Theory]
    [InlineData("429", HttpStatusCode.TooManyRequests, 20429)]
    [InlineData("500", HttpStatusCode.InternalServerError, 20500)]
    [InlineData("503", HttpStatusCode.ServiceUnavailable, 20503)]
    public async Task AnErrorFaultCreatesNothingAndTheNextSendWorks(string kind, HttpStatusCode status, int code)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind, count = 1 });

        using var failed = await twilio.SendAsync(("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"));
        await failed.ShouldBeTwilioErrorAsync(status, code);
        (await CountMessagesAsync(twilio)).ShouldBe(0);

        await twilio.SendOkAsync();
        (await CountMessagesAsync(twilio)).ShouldBe(1);
    }

    [Fact]
    public async Task FaultsApplyToTheNextNSendsOnly()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "429", count = 2 });

        using var first = await twilio.SendAsync(("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"));
        using var second = await twilio.SendAsync(("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"));

        first.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        second.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        await twilio.SendOkAsync();
    }

    [Fact]
    public async Task DeletingFaultsClearsTheQueue()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var queued = await twilio.PostControlAsync("/_fake/faults", new { kind = "503", count = 3 });

        await twilio.ControlAsync(HttpMethod.Delete, "/_fake/faults");

        queued.GetArrayLength().ShouldBe(3);
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/faults")).GetArrayLength().ShouldBe(0);
        await twilio.SendOkAsync();
    }

    [Fact]
    public async Task AnUnknownFaultKindIsAProblemNamingTheKinds()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Fake.PostAsync("/_fake/faults", System.Net.Http.Json.JsonContent.Create(new { kind = "teapot" }));

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadAsStringAsync()).ShouldContain("timeout-after-create");
    }

    [Fact]
    public async Task FiveHundredAfterCreateLeavesAMessageTheClientCannotKnowAbout()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "500-after-create" });

        using var response = await twilio.SendAsync(("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"));

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.InternalServerError, 20500);
        (await CountMessagesAsync(twilio)).ShouldBe(1);
    }

    [Fact]
    public async Task TimeoutAfterCreateMakesTheClientGiveUpWhileTheMessageExists()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "timeout-after-create", delayMs = 10_000 });
        using var impatient = twilio.Client(twilio.Options.AccountSid, twilio.Options.AuthToken, TimeSpan.FromMilliseconds(300));

        await Should.ThrowAsync<TaskCanceledException>(() => impatient.PostAsync(twilio.MessagesPath, LocalTwilioHarness.Form(
            ("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"))));

        (await CountMessagesAsync(twilio)).ShouldBe(1);
    }

    [Fact]
    public async Task ResetAbortsTheConnectionAndCreatesNothing()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "reset" });

        await Should.ThrowAsync<HttpRequestException>(() => twilio.SendAsync(
            ("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi")));

        (await CountMessagesAsync(twilio)).ShouldBe(0);
    }

    [Fact]
    public async Task SlowAnswersNormallyAfterTheDelay()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "slow", delayMs = 300 });
        var clock = Stopwatch.StartNew();

        await twilio.SendOkAsync();

        clock.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(290));
    }

    [Fact]
    public async Task NonJsonIsA502WithHtmlAndCreatesNothing()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "non-json" });

        using var response = await twilio.SendAsync(("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi"));
        var body = await response.Content.ReadAsStringAsync();

        response.StatusCode.ShouldBe(HttpStatusCode.BadGateway);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("text/html");
        Should.Throw<JsonException>(() => JsonDocument.Parse(body));
        (await CountMessagesAsync(twilio)).ShouldBe(0);
    }

    [Fact]
    public async Task ErrorCode201IsACreatedMessageThatFailed()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        await twilio.PostControlAsync("/_fake/faults", new { kind = "error-code-201" });

        var m = await twilio.SendOkAsync();

        m.GetProperty("error_code").GetInt32().ShouldBe(30007);
        m.Str("error_message").ShouldNotBeNullOrEmpty();
        m.Str("status").ShouldBe("failed");
    }
}
