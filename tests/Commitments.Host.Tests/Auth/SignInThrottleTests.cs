using System.Net;
using System.Net.Http.Json;
using Commitments.Host.Tests.Texts;

namespace Commitments.Host.Tests.Auth;

/// <summary>
/// Guessing PINs from the internet: slowed per address and per site, answered without naming anyone,
/// and never able to lock the site's own tablets out. Through Kestrel on loopback, a trusted proxy, so
/// each test's X-Forwarded-For is its client's address.
/// </summary>
[Collection(TextingCollection.Name)]
public sealed class SignInThrottleTests(TextingFixture fixture)
{
    private TextingApp Texting => fixture.Texting;

    private static int _address = Random.Shared.Next(0, 60_000);

    /// <summary>An address no other test of the run uses (TEST-NET-2 and -3 and the benchmarking range).</summary>
    private static string NewAddress()
    {
        var n = Interlocked.Increment(ref _address);
        return $"198.{18 + (n / 65_536 % 2)}.{n / 256 % 256}.{n % 256}";
    }

    private async Task<HttpResponseMessage> SignInAsync(HttpClient http, string site, string staff, string pin, string? from)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, $"{Texting.BaseUrl}/api/auth/pin") { Content = JsonContent.Create(new { site, staff, pin }) };
        if (from is not null)
        {
            request.Headers.Add("X-Forwarded-For", from);
        }

        return await http.SendAsync(request);
    }

    [Fact]
    public async Task GuessesFromOneAddressMeetGrowingDelaysThatNameNobodyWhileOtherAddressesSignIn()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var http = new HttpClient();
        var attacker = NewAddress();

        // Ten failures are free; a code that is nobody's is answered exactly as a wrong PIN.
        var names = new[] { "desk1", "hk1", "hk2", "ghost" };
        string? wrongPin = null;
        for (var i = 0; i < 10; i++)
        {
            var answer = await SignInAsync(http, site.Id, names[i % names.Length], "0000", attacker);
            var problem = await answer.ShouldBeProblemAsync(HttpStatusCode.Unauthorized, "pin");
            wrongPin ??= problem.GetProperty("detail").GetString();
            problem.GetProperty("detail").GetString().ShouldBe(wrongPin);
        }

        // Past them, a delay: the next failures are refused with Retry-After, saying nothing of who.
        HttpResponseMessage? refused = null;
        for (var i = 0; i < 3 && refused is null; i++)
        {
            var answer = await SignInAsync(http, site.Id, names[i], "0000", attacker);
            refused = answer.StatusCode == HttpStatusCode.TooManyRequests ? answer : null;
        }

        refused.ShouldNotBeNull("the address is slowed after ten failures");
        var body = await refused.Content.ReadAsStringAsync();
        body.ShouldContain("Too many failed sign-ins from here");
        names.ShouldAllBe(n => !body.Contains(n, StringComparison.Ordinal));
        refused.Headers.RetryAfter.ShouldNotBeNull();

        // Someone else, elsewhere, signs in as usual.
        (await SignInAsync(http, site.Id, "desk1", "1234", NewAddress())).StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    [Fact]
    public async Task ASiteUnderAttackFromManyAddressesStillSignsInOnItsEnrolledTablet()
    {
        var site = await TextsTestSite.CreateAsync(Texting);
        using var http = new HttpClient();

        // The front-desk tablet: a manager signed in on it once, so the site enrolled it.
        using var tablet = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() });
        (await SignInAsync(tablet, site.Id, "mgr1", TextsTestSite.PinOf("mgr1"), NewAddress())).StatusCode.ShouldBe(HttpStatusCode.OK);

        // Thirty-two wrong PINs for the desk from four addresses (each under its own limit): the desk
        // is locked for sign-ins from elsewhere, and the site slows every address.
        for (var a = 0; a < 4; a++)
        {
            var from = NewAddress();
            for (var i = 0; i < 8; i++)
            {
                (await SignInAsync(http, site.Id, "desk1", "0000", from)).StatusCode.ShouldBeOneOf(HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests);
            }
        }

        var locked = await SignInAsync(http, site.Id, "desk1", "1234", NewAddress());
        locked.StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);
        (await locked.Content.ReadAsStringAsync()).ShouldNotContain("desk1");
        (await SignInAsync(http, site.Id, "hk1", "1234", NewAddress())).StatusCode.ShouldBe(HttpStatusCode.TooManyRequests);

        // The tablet at the desk is the site's own: none of that reaches it.
        (await SignInAsync(tablet, site.Id, "desk1", "1234", NewAddress())).StatusCode.ShouldBe(HttpStatusCode.OK);
        (await SignInAsync(tablet, site.Id, "hk1", "1234", NewAddress())).StatusCode.ShouldBe(HttpStatusCode.OK);
    }
}
