using System.Net;
using System.Net.Http.Json;

namespace Commitments.LocalTwilio.Tests.Messages;

public sealed class CreateValidationTests
{
    private const string Number = LocalTwilioHarness.Number;
    private const string Handset = LocalTwilioHarness.Handset;

    public static TheoryData<string, string[], int> Invalid => new()
    {
        { "no To", ["From", Number, "Body", "Hi"], 21604 },
        { "To not E.164", ["To", "(202) 555-1234", "From", Number, "Body", "Hi"], 21211 },
        { "To with a leading 00", ["To", "0012025551234", "From", Number, "Body", "Hi"], 21211 },
        { "To too long", ["To", "+1234567890123456", "From", Number, "Body", "Hi"], 21211 },
        { "no From nor service", ["To", Handset, "Body", "Hi"], 21603 },
        { "no Body nor media", ["To", Handset, "From", Number], 21602 },
        { "Body over 1600", ["To", Handset, "From", Number, "Body", new string('a', 1601)], 21617 },
        { "relative callback", ["To", Handset, "From", Number, "Body", "Hi", "StatusCallback", "/twilio/status"], 21609 },
        { "underscore host", ["To", Handset, "From", Number, "Body", "Hi", "StatusCallback", "http://my_app.local/status"], 21609 },
        { "ftp callback", ["To", Handset, "From", Number, "Body", "Hi", "StatusCallback", "ftp://example.com/status"], 21609 },
        { "From not owned", ["To", Handset, "From", "+12025550199", "Body", "Hi"], 21606 },
        { "To equals From", ["To", Number, "From", Number, "Body", "Hi"], 21211 },
        { "unknown service", ["To", Handset, "MessagingServiceSid", "MG99999999999999999999999999999999", "Body", "Hi"], 21701 },
        { "validity 0", ["To", Handset, "From", Number, "Body", "Hi", "ValidityPeriod", "0"], 21624 },
        { "validity over 10 h", ["To", Handset, "From", Number, "Body", "Hi", "ValidityPeriod", "36001"], 21624 },
        { "magic To 0001", ["To", "+15005550001", "From", Number, "Body", "Hi"], 21211 },
        { "magic To 0002", ["To", "+15005550002", "From", Number, "Body", "Hi"], 21612 },
        { "magic To 0003", ["To", "+15005550003", "From", Number, "Body", "Hi"], 21408 },
        { "magic To 0004", ["To", "+15005550004", "From", Number, "Body", "Hi"], 21610 },
        { "magic To 0009", ["To", "+15005550009", "From", Number, "Body", "Hi"], 21614 },
        { "magic From 0001", ["To", Handset, "From", "+15005550001", "Body", "Hi"], 21212 },
        { "magic From 0007", ["To", Handset, "From", "+15005550007", "Body", "Hi"], 21606 },
        { "magic From 0008", ["To", Handset, "From", "+15005550008", "Body", "Hi"], 21611 },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public async Task EachInvalidSendIs400WithTwiliosCode(string why, string[] fields, int code)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.SendAsync([.. fields.Chunk(2).Select(p => (p[0], p[1]))]);

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, code);
        (await twilio.ControlAsync(HttpMethod.Get, "/_fake/messages")).GetArrayLength().ShouldBe(0, why);
    }

    [Theory]
    [InlineData("From", "+15005550006")]
    [InlineData("Body", "")]
    [InlineData("ValidityPeriod", "36000")]
    [InlineData("StatusCallback", "https://app.example.com:8443/twilio/status?msgID=7#rc=2")]
    public async Task TheEdgesOfEachRuleAreAccepted(string name, string value)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var fields = new List<(string, string)> { ("To", Handset), ("From", Number), ("Body", new string('a', 1600)) };
        fields.RemoveAll(f => f.Item1 == name);
        fields.Add((name, value));
        if (name == "Body")
        {
            fields.Add(("MediaUrl", "https://example.com/menu.jpg"));
        }

        using var response = await twilio.SendAsync([.. fields]);

        response.StatusCode.ShouldBe(HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AJsonBodyIsNotReadSoToIsMissing()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Twilio.PostAsJsonAsync(twilio.MessagesPath, new { To = Handset, From = Number, Body = "Hi" });

        var error = await response.ShouldBeTwilioErrorAsync(HttpStatusCode.BadRequest, 21604);
        error.Str("message").ShouldContain("application/x-www-form-urlencoded");
    }

    [Fact]
    public async Task AMessagingServiceSidInFromIsTreatedAsTheService()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        var message = await twilio.SendOkAsync(("From", LocalTwilioHarness.ServiceSid));

        message.Str("messaging_service_sid").ShouldBe(LocalTwilioHarness.ServiceSid);
        message.Str("from").ShouldBeOneOf(LocalTwilioHarness.PoolA, LocalTwilioHarness.PoolB);
        message.Str("status").ShouldBe("accepted");
    }
}
