using System.Net;

namespace Commitments.LocalTwilio.Tests.Messages;

public sealed class AuthTests
{
    [Fact]
    public async Task TheAccountSidWithItsAuthTokenIsAccepted()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Twilio.GetAsync(twilio.MessagesPath);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task AnApiKeyWithItsSecretIsAcceptedWithTheAccountInThePath()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        using var client = twilio.Client(twilio.Options.ApiKeySid, twilio.Options.ApiKeySecret);

        using var response = await client.PostAsync(twilio.MessagesPath, LocalTwilioHarness.Form(
            ("To", LocalTwilioHarness.Handset), ("From", LocalTwilioHarness.Number), ("Body", "Hi")));

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
    }

    [Theory]
    [InlineData("account", "wrong-token")]
    [InlineData("key", "wrong-secret")]
    [InlineData("key-with-account-token", "")]
    public async Task AWrongSecretIs401With20003(string who, string secret)
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();
        var (user, password) = who switch
        {
            "account" => (twilio.Options.AccountSid, secret),
            "key" => (twilio.Options.ApiKeySid, secret),
            _ => (twilio.Options.ApiKeySid, twilio.Options.AuthToken),
        };
        using var client = twilio.Client(user, password);

        using var response = await client.GetAsync(twilio.MessagesPath);

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.Unauthorized, 20003);
        response.Headers.WwwAuthenticate.ToString().ShouldStartWith("Basic");
    }

    [Fact]
    public async Task NoCredentialsIs401With20003()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Fake.PostAsync(twilio.MessagesPath, LocalTwilioHarness.Form(("To", LocalTwilioHarness.Handset)));

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.Unauthorized, 20003);
    }

    [Fact]
    public async Task AnotherAccountInThePathIs401EvenWithGoodCredentials()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Twilio.GetAsync("/2010-04-01/Accounts/AC99999999999999999999999999999999/Messages.json");

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.Unauthorized, 20003);
    }

    [Fact]
    public async Task AnUnknownResourceIsTwilios404()
    {
        await using var twilio = await LocalTwilioHarness.StartAsync();

        using var response = await twilio.Twilio.GetAsync($"/2010-04-01/Accounts/{twilio.Options.AccountSid}/Calls.json");

        await response.ShouldBeTwilioErrorAsync(HttpStatusCode.NotFound, 20404);
    }
}
