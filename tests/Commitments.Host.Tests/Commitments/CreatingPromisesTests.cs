using System.Net;
using System.Net.Http.Json;
using System.Text;

namespace Commitments.Host.Tests.Commitments;

[Collection(AppCollection.Name)]
public sealed class CreatingPromisesTests(AppFixture fixture)
{
    private CommitmentsApp App => fixture.App;

    private static string InMinutes(int minutes) => DateTimeOffset.UtcNow.AddMinutes(minutes).ToString("O");

    [Fact]
    public async Task A201MeansThePromiseIsStoredWithTheMakerAsOwner()
    {
        using var desk = await App.SignInAsync("desk1", "1111");
        var id = Guid.NewGuid();

        var response = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new
        {
            id,
            what = "  Extra towels  ",
            customer = new { name = "Ana Silva", mobile = "(202) 555-0199", room = "412", smsConsent = true, language = "es" },
            dueAt = InMinutes(30),
            handoffTo = "hk1",
            handoffNote = "4 bath towels",
        });

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        response.Headers.Location!.ToString().ShouldBe($"/api/sites/demo/commitments/{id}");
        var view = await response.JsonAsync();
        view.GetProperty("id").GetGuid().ShouldBe(id);
        view.GetProperty("what").GetString().ShouldBe("Extra towels");
        view.GetProperty("owner").GetString().ShouldBe("desk1");
        view.GetProperty("promisedBy").GetString().ShouldBe("desk1");
        view.GetProperty("status").GetString().ShouldBe("open");
        view.GetProperty("customer").GetProperty("mobile").GetString().ShouldBe("+1 *** *** 0199");
        view.GetProperty("pendingHandoff").GetProperty("to").GetString().ShouldBe("hk1");
        view.GetProperty("history").GetArrayLength().ShouldBe(2);

        var read = await (await desk.GetAsync($"/api/sites/demo/commitments/{id}")).JsonAsync();
        read.GetProperty("owner").GetString().ShouldBe("desk1");
        read.GetProperty("history")[0].GetProperty("type").GetString().ShouldBe("created");
        read.GetProperty("history")[0].GetProperty("actor").GetString().ShouldBe("desk1");
    }

    [Fact]
    public async Task DueAtIsShownWithTheSitesOffsetAndLocalTimesMeanTheSitesClock()
    {
        using var desk = await App.SignInAsync("desk1", "1111");
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var local = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(3), zone);
        var localText = local.ToString("yyyy-MM-dd'T'HH:mm");

        var response = await desk.PostAsJsonAsync("/api/sites/demo/commitments", new { what = "Taxi", customer = new { name = "Bo" }, dueAt = localText });

        var dueAt = (await response.JsonAsync()).GetProperty("dueAt").GetString()!;
        var offset = zone.GetUtcOffset(local);
        dueAt.ShouldBe($"{localText}:00{(offset < TimeSpan.Zero ? "-" : "+")}{offset:hh\\:mm}");
    }

    [Fact]
    public async Task RepeatingACreateWithTheSameIdMakesOnePromise()
    {
        using var desk = await App.SignInAsync("desk1", "1111");
        var body = new { id = Guid.NewGuid(), what = "Late checkout", customer = new { name = "Ana" }, dueAt = InMinutes(60) };

        var first = await desk.PostAsJsonAsync("/api/sites/demo/commitments", body);
        var again = await desk.PostAsJsonAsync("/api/sites/demo/commitments", body);
        var different = await desk.PostAsJsonAsync("/api/sites/demo/commitments", body with { what = "Taxi" });

        first.StatusCode.ShouldBe(HttpStatusCode.Created);
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await again.JsonAsync()).GetProperty("history").GetArrayLength().ShouldBe(1);
        await different.ShouldBeProblemAsync(HttpStatusCode.Conflict, "id");
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { """{"customer":{"name":"Ana"},"dueAt":"SOON"}""", "what" },
        { $$"""{"what":"{{new string('x', 501)}}","customer":{"name":"Ana"},"dueAt":"SOON"}""", "what" },
        { """{"what":"Towels","dueAt":"SOON"}""", "customer" },
        { """{"what":"Towels","customer":{"name":""},"dueAt":"SOON"}""", "customer.name" },
        { """{"what":"Towels","customer":{"name":"Ana","mobile":"12"},"dueAt":"SOON"}""", "customer.mobile" },
        { $$"""{"what":"Towels","customer":{"name":"Ana","room":"{{new string('1', 41)}}"},"dueAt":"SOON"}""", "customer.room" },
        { """{"what":"Towels","customer":{"name":"Ana"}}""", "dueAt" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"tomorrow"}""", "dueAt" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"2001-01-01T10:00Z"}""", "dueAt" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"2099-01-01T10:00Z"}""", "dueAt" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"SOON","handoffTo":"nobody"}""", "handoffTo" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"SOON","handoffTo":"desk1"}""", "handoffTo" },
        { """{"id":"not-a-guid","what":"Towels","customer":{"name":"Ana"},"dueAt":"SOON"}""", "id" },
        { """{"id":"00000000-0000-0000-0000-000000000000","what":"Towels","customer":{"name":"Ana"},"dueAt":"SOON"}""", "id" },
        { """{"what":"Towels","customer":{"name":"Ana","smsConsent":"yes"},"dueAt":"SOON"}""", "customer.smsConsent" },
        { """{"what":"Towels","customer":{"name":"Ana"},"dueAt":"SOON" """, "body" },
        { """[]""", "body" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInputIsAProblemNamingTheFieldAndCreatesNothing(string body, string field)
    {
        var site = await App.NewSiteAsync();
        using var desk = await App.SignInAsync("desk1", "1111", site);

        body = body.Replace("SOON", DateTimeOffset.UtcNow.AddDays(1).ToString("O"), StringComparison.Ordinal);

        var response = await desk.PostAsync($"/api/sites/{site}/commitments", new StringContent(body, Encoding.UTF8, "application/json"));

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, field);
        var list = await (await desk.GetAsync($"/api/sites/{site}/commitments")).JsonAsync();
        list.GetProperty("items").GetArrayLength().ShouldBe(0);
    }

    [Fact]
    public async Task AnEmptyBodyIsAProblemNotACrash()
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        var response = await desk.PostJsonAsync("/api/sites/demo/commitments");

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest, "body");
    }

    [Theory]
    [InlineData("application/x-www-form-urlencoded", "what=towels")]
    [InlineData("text/plain", """{"what":"towels"}""")]
    public async Task OnlyJsonBodiesAreAcceptedSoAFormFromAnotherSiteCannotAct(string contentType, string body)
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        var response = await desk.PostAsync("/api/sites/demo/commitments", new StringContent(body, Encoding.UTF8, contentType));

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType, "body");
    }

    [Fact]
    public async Task ABadPromiseIdIsAProblemNamingTheId()
    {
        using var desk = await App.SignInAsync("desk1", "1111");

        await (await desk.GetAsync("/api/sites/demo/commitments/12345")).ShouldBeProblemAsync(HttpStatusCode.BadRequest, "id");
        await (await desk.GetAsync($"/api/sites/demo/commitments/{Guid.NewGuid()}")).ShouldBeProblemAsync(HttpStatusCode.NotFound, "id");
    }
}
