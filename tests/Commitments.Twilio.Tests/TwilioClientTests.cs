using System.Net.Http.Json;
using System.Text.Json;
using Commitments.LocalTwilio;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commitments.Twilio.Tests;

/// <summary>The real client over HTTP against the local Twilio.</summary>
public sealed class TwilioClientTests : IAsyncLifetime
{
    private const string Number = "+12025550100";
    private LocalTwilioServer _fake = null!;
    private HttpClient _control = null!;

    public async ValueTask InitializeAsync()
    {
        _fake = await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = Number }],
            Lifecycle = new LifecycleOptions { Auto = false },
        });
        _control = new HttpClient { BaseAddress = _fake.BaseUrl };
    }

    public async ValueTask DisposeAsync()
    {
        _control.Dispose();
        await _fake.DisposeAsync();
    }

    private TwilioMessagingClient Client(Action<TwilioOptions>? change = null, TimeSpan? timeout = null)
    {
        var options = new TwilioOptions
        {
            AccountSid = _fake.Options.AccountSid,
            ApiKeySid = _fake.Options.ApiKeySid,
            ApiKeySecret = _fake.Options.ApiKeySecret,
            AuthToken = _fake.Options.AuthToken,
            From = Number,
            PublicBaseUrl = "https://hotel.example.com",
            BaseUrl = _fake.BaseUrl.ToString(),
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
        };
        change?.Invoke(options);
        return new TwilioMessagingClient(new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }), Options.Create(options),
            NullLogger<TwilioMessagingClient>.Instance);
    }

    private async Task<int> MessagesAtTheFakeAsync(string to)
    {
        var all = await _control.GetFromJsonAsync<JsonElement>($"/_fake/messages?to={Uri.EscapeDataString(to)}");
        return all.GetArrayLength();
    }

    private Task Fault(string kind, int count = 1, int delayMs = 0) =>
        _control.PostAsJsonAsync("/_fake/faults", new { kind, count, delayMs });

    [Fact]
    public async Task ATextIsSentWithTheApiKeyAndComesBackQueued()
    {
        var sent = await Client().SendAsync(new SendMessage("+12025550123", "Your towels are on their way", "https://hotel.example.com/cb?x=1"));

        sent.Sid.ShouldStartWith("SM");
        sent.Status.ShouldBe(MessageStatus.Queued);
        sent.To.ShouldBe("+12025550123");
        sent.From.ShouldBe(Number);
        sent.NumSegments.ShouldBe("1");
        (await Client().FetchAsync(sent.Sid!))!.Body.ShouldBe("Your towels are on their way");
    }

    [Fact]
    public async Task TheAccountTokenWorksTooAndAWrongSecretIsPermanent()
    {
        (await Client(o => o.ApiKeySid = null).SendAsync(new SendMessage("+12025550124", "hi"))).Sid.ShouldNotBeNull();

        var ex = await Should.ThrowAsync<TwilioException>(() => Client(o => o.ApiKeySecret = "wrong").SendAsync(new SendMessage("+12025550124", "hi")));

        ex.Status.ShouldBe(401);
        ex.Code.ShouldBe(20003);
        ex.Kind.ShouldBe(TwilioFailureKind.Permanent);
    }

    [Theory]
    [InlineData("+15005550001", 21211, TwilioFailureKind.Permanent)]
    [InlineData("+15005550004", 21610, TwilioFailureKind.OptedOut)]
    [InlineData("+15005550009", 21614, TwilioFailureKind.Permanent)]
    [InlineData("12025550123", 21211, TwilioFailureKind.Permanent)]
    public async Task RefusedNumbersSayWhatToDo(string to, int code, TwilioFailureKind kind)
    {
        var ex = await Should.ThrowAsync<TwilioException>(() => Client().SendAsync(new SendMessage(to, "hi")));

        ex.Code.ShouldBe(code);
        ex.Kind.ShouldBe(kind);
    }

    [Fact]
    public async Task AFullSenderQueueMeansSlowDown()
    {
        var ex = await Should.ThrowAsync<TwilioException>(() => Client(o => o.From = "+15005550008").SendAsync(new SendMessage("+12025550125", "hi")));

        ex.Code.ShouldBe(21611);
        ex.Kind.ShouldBe(TwilioFailureKind.SlowDown);
    }

    [Theory]
    [InlineData("429", TwilioFailureKind.Throttled)]
    [InlineData("500", TwilioFailureKind.Unknown)]
    [InlineData("503", TwilioFailureKind.Unknown)]
    [InlineData("non-json", TwilioFailureKind.Unknown)]
    [InlineData("reset", TwilioFailureKind.Unknown)]
    public async Task FaultsAreClassifiedAndNothingIsCreated(string fault, TwilioFailureKind kind)
    {
        await Fault(fault);
        var to = "+1202555" + Random.Shared.Next(1000, 9999);

        var ex = await Should.ThrowAsync<TwilioException>(() => Client().SendAsync(new SendMessage(to, "hi")));

        ex.Kind.ShouldBe(kind);
        (await MessagesAtTheFakeAsync(to)).ShouldBe(0);
    }

    [Fact]
    public async Task AnUnansweredCreateIsUnknownAndCanBeFoundByLookingItUp()
    {
        await Fault("timeout-after-create", delayMs: 3000);
        var to = "+12025550126";
        var before = DateTimeOffset.UtcNow;

        var ex = await Should.ThrowAsync<TwilioException>(() =>
            Client(timeout: TimeSpan.FromMilliseconds(500)).SendAsync(new SendMessage(to, "Wake-up call at 6")));

        ex.Kind.ShouldBe(TwilioFailureKind.Unknown);
        var found = await Client().ListAsync(to, Number, before);
        found.Single().Body.ShouldBe("Wake-up call at 6");
    }

    [Fact]
    public async Task A201CarryingAnErrorCodeIsAFailure()
    {
        await Fault("error-code-201");

        var ex = await Should.ThrowAsync<TwilioException>(() => Client().SendAsync(new SendMessage("+12025550127", "hi")));

        ex.Status.ShouldBe(201);
        ex.Code.ShouldNotBeNull();
        ex.Kind.ShouldBe(TwilioFailureKind.Permanent);
    }

    [Fact]
    public async Task FetchingAnUnknownSidIsNull() =>
        (await Client().FetchAsync("SM" + new string('0', 32))).ShouldBeNull();
}
