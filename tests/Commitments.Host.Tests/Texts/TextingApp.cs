extern alias localtwilio;

using System.Net.Http.Json;
using System.Text.Json;
using localtwilio::Commitments.LocalTwilio;
using Commitments.Testing;

namespace Commitments.Host.Tests.Texts;

/// <summary>
/// The real host on a loopback Kestrel port (so the local Twilio can call its webhooks) and the
/// local Twilio it sends through, both over real HTTP.
/// </summary>
public sealed class TextingApp : IAsyncDisposable
{
    public const string OurNumber = "+12025550100";
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    private readonly bool _ownsFake;

    private TextingApp(CommitmentsApp app, LocalTwilioServer fake, bool ownsFake, int port)
    {
        App = app;
        Fake = fake;
        _ownsFake = ownsFake;
        Port = port;
        Control = new HttpClient { BaseAddress = fake.BaseUrl };
    }

    public CommitmentsApp App { get; }

    public LocalTwilioServer Fake { get; }

    /// <summary>The local Twilio's control API (/_fake/…).</summary>
    public HttpClient Control { get; }

    public int Port { get; }

    public string BaseUrl => $"http://127.0.0.1:{Port}";

    public static async Task<TextingApp> StartAsync(
        AzuriteFixture azurite, string? table = null, LocalTwilioServer? fake = null, IDictionary<string, string?>? settings = null)
    {
        var port = AzuriteFixture.GetFreeTcpPort();
        var ownsFake = fake is null;
        fake ??= await LocalTwilioServer.StartAsync(new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = OurNumber }],
            Lifecycle = new LifecycleOptions { Auto = true, StepDelay = TimeSpan.FromMilliseconds(20) },
        });
        var all = new Dictionary<string, string?>(fake.ClientSettings(OurNumber, $"http://127.0.0.1:{port}"))
        {
            ["Twilio:MessagesPerSecond"] = "500",
            ["Twilio:RequestTimeout"] = "00:00:02",
            ["Texting:SweepInterval"] = "00:00:00.200",
            ["Texting:RetryDelay"] = "00:00:00.020",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        var app = new CommitmentsApp(azurite, table, all) { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        app.Listen(port);
        var texting = new TextingApp(app, fake, ownsFake, port);
        var number = await texting.Control.PutAsJsonAsync($"/_fake/numbers/{Uri.EscapeDataString(OurNumber)}",
            new { smsUrl = $"{texting.BaseUrl}/webhooks/twilio/inbound" });
        number.EnsureSuccessStatusCode();
        return texting;
    }

    public async ValueTask DisposeAsync()
    {
        await App.DisposeAsync();
        Control.Dispose();
        if (_ownsFake)
        {
            await Fake.DisposeAsync();
        }
    }

    /// <summary>A mobile number no other test uses.</summary>
    public static string NewMobile() => "+1202555" + Interlocked.Increment(ref _nextMobile).ToString();

    // Unique within the test process (a random start keeps runs apart in a shared local Twilio).
    private static int _nextMobile = Random.Shared.Next(2000, 5000);

    /// <summary>Outbound messages the local Twilio holds for <paramref name="to"/>, oldest first.</summary>
    public async Task<List<JsonElement>> SentToAsync(string to)
    {
        var all = await Control.GetFromJsonAsync<JsonElement>($"/_fake/messages?to={Uri.EscapeDataString(to)}");
        return [.. all.EnumerateArray().Where(m => m.GetProperty("direction").GetString() != "inbound")
            .OrderBy(m => m.GetProperty("dateCreated").GetDateTimeOffset())];
    }

    /// <summary>Waits (polling, with a deadline) until <paramref name="condition"/> holds, and returns its value.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTimeOffset.UtcNow + (within ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (condition(value))
            {
                return value;
            }

            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Still waiting for {what}; last value: {JsonSerializer.Serialize(value)}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>A handset texts our number; returns what the local Twilio recorded of our answer.</summary>
    public Task<JsonElement> HandsetSendsAsync(string from, string body) => HandsetSendsAsync(Control, from, body);

    public static async Task<JsonElement> HandsetSendsAsync(HttpClient control, string from, string body)
    {
        var response = await control.PostAsJsonAsync("/_fake/handset/send", new { from, to = OurNumber, body });
        response.EnsureSuccessStatusCode();
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        result.GetProperty("valid").GetBoolean().ShouldBeTrue(result.ToString());
        return result;
    }

    /// <summary>
    /// The staff phone answers the code its site texted it, as its owner would (a mobile a manager
    /// typed gets staff texts, and acts as the person, only then). Returns the code.
    /// </summary>
    public static async Task<string> AnswerVerificationAsync(HttpClient control, string mobile)
    {
        var code = await EventuallyAsync(
            async () =>
            {
                var sent = await control.GetFromJsonAsync<JsonElement>($"/_fake/messages?to={Uri.EscapeDataString(mobile)}");
                return sent.EnumerateArray()
                    .Where(m => m.GetProperty("direction").GetString() != "inbound")
                    .OrderBy(m => m.GetProperty("dateCreated").GetDateTimeOffset())
                    .Select(m => System.Text.RegularExpressions.Regex.Match(m.GetProperty("body").GetString() ?? "", @"VERIFY (\d{6})").Groups[1].Value)
                    .LastOrDefault(c => c.Length > 0);
            },
            code => code is not null,
            "the verification code texted to a staff phone");
        var answer = await HandsetSendsAsync(control, mobile, "VERIFY " + code);
        answer.GetProperty("replies").EnumerateArray().Select(r => r.GetString()).ShouldHaveSingleItem()!.ShouldStartWith("Thank you");
        return code!;
    }
}
