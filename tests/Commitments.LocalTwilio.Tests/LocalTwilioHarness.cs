using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Commitments.LocalTwilio.Tests;

/// <summary>One Local Twilio per test on a loopback port, with a Twilio client and a control client.</summary>
internal sealed class LocalTwilioHarness : IAsyncDisposable
{
    public const string Number = "+12025550100";
    public const string ServiceSid = "MG10ca1000000000000000000000000000";
    public const string PoolA = "+12025550101";
    public const string PoolB = "+12025550102";
    public const string Handset = "+12025551234";

    private LocalTwilioHarness(LocalTwilioServer server)
    {
        Server = server;
        Twilio = Client(server.Options.AccountSid, server.Options.AuthToken);
        Fake = new HttpClient { BaseAddress = server.BaseUrl };
    }

    public LocalTwilioServer Server { get; }

    public LocalTwilioOptions Options => Server.Options;

    /// <summary>Authenticated with Account SID and auth token.</summary>
    public HttpClient Twilio { get; }

    /// <summary>For the /_fake control API.</summary>
    public HttpClient Fake { get; }

    public string MessagesPath => $"/2010-04-01/Accounts/{Options.AccountSid}/Messages.json";

    public string MessagePath(string sid) => $"/2010-04-01/Accounts/{Options.AccountSid}/Messages/{sid}.json";

    public static async Task<LocalTwilioHarness> StartAsync(Action<LocalTwilioOptions>? configure = null)
    {
        var options = new LocalTwilioOptions
        {
            PhoneNumbers = [new PhoneNumberOptions { Number = Number }],
            MessagingServices = [new MessagingServiceOptions { Sid = ServiceSid, Numbers = [PoolA, PoolB] }],
            Lifecycle = new LifecycleOptions { StepDelay = TimeSpan.FromMilliseconds(10) },
        };
        configure?.Invoke(options);
        return new LocalTwilioHarness(await LocalTwilioServer.StartAsync(options));
    }

    public HttpClient Client(string user, string secret, TimeSpan? timeout = null)
    {
        var client = new HttpClient { BaseAddress = Server.BaseUrl, Timeout = timeout ?? TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{secret}")));
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    public static FormUrlEncodedContent Form(params (string Name, string Value)[] fields) =>
        new(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));

    public Task<HttpResponseMessage> SendAsync(params (string Name, string Value)[] fields) =>
        Twilio.PostAsync(MessagesPath, Form(fields));

    /// <summary>Creates a message (default: from our number to the handset) and returns the 201 body.</summary>
    public async Task<JsonElement> SendOkAsync(params (string Name, string Value)[] fields)
    {
        var defaults = new List<(string, string)>();
        if (!fields.Any(f => f.Name is "From" or "MessagingServiceSid"))
        {
            defaults.Add(("From", Number));
        }
        if (!fields.Any(f => f.Name == "To"))
        {
            defaults.Add(("To", Handset));
        }
        if (!fields.Any(f => f.Name is "Body" or "MediaUrl"))
        {
            defaults.Add(("Body", "Your table is ready."));
        }
        using var response = await SendAsync([.. defaults, .. fields]);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(HttpStatusCode.Created, body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public async Task<JsonElement> ControlAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        using var response = await Fake.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        response.IsSuccessStatusCode.ShouldBeTrue($"{method} {path}: {(int)response.StatusCode} {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    public Task<JsonElement> PostControlAsync(string path, object body) => ControlAsync(HttpMethod.Post, path, body);

    public Task<JsonElement> FakeMessageAsync(string sid) => ControlAsync(HttpMethod.Get, $"/_fake/messages/{sid}");

    /// <summary>Polls the control API until the message satisfies <paramref name="until"/>; fails after 5 s.</summary>
    public async Task<JsonElement> WaitForMessageAsync(string sid, Func<JsonElement, bool> until, string what)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(15));
        var message = await FakeMessageAsync(sid);
        while (!until(message))
        {
            try
            {
                await poll.WaitForNextTickAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                throw new ShouldAssertException($"Message {sid} never got {what}; last seen: {message}");
            }
            message = await FakeMessageAsync(sid);
        }
        return message;
    }

    public Task<JsonElement> WaitForStatusAsync(string sid, string status) =>
        WaitForMessageAsync(sid, m => m.GetProperty("status").GetString() == status, $"status {status}");

    public async ValueTask DisposeAsync()
    {
        Twilio.Dispose();
        Fake.Dispose();
        await Server.DisposeAsync();
    }
}

internal static class TwilioAssertions
{
    /// <summary>Asserts a Twilio-shaped error: HTTP status plus {code, message, more_info, status}.</summary>
    public static async Task<JsonElement> ShouldBeTwilioErrorAsync(this HttpResponseMessage response, HttpStatusCode status, int code)
    {
        var text = await response.Content.ReadAsStringAsync();
        response.StatusCode.ShouldBe(status, text);
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/json");
        var error = JsonDocument.Parse(text).RootElement.Clone();
        error.GetProperty("code").GetInt32().ShouldBe(code, text);
        error.GetProperty("status").GetInt32().ShouldBe((int)status);
        error.GetProperty("more_info").GetString().ShouldBe($"https://www.twilio.com/docs/errors/{code}");
        error.GetProperty("message").GetString().ShouldNotBeNullOrWhiteSpace();
        return error;
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public static string Str(this JsonElement element, string name) => element.GetProperty(name).GetString()!;
}
