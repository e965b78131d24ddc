using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Grains.Customers;
using Microsoft.Extensions.Options;

namespace Commitments.Grains.Tests.Customers;

public sealed class StatusLinksTests
{
    private static StatusLinks Links(string key = "05axsUgGHtnstLgjliuMqCgpEvEb2920OEVzC3xVMLY=", string? baseUrl = "https://hotel.example") =>
        new(Options.Create(new StatusLinkOptions { SigningKey = key, BaseUrl = baseUrl }));

    [Fact]
    public void ALinkNamesItsPromiseAndIsShortEnoughForAText()
    {
        var id = Guid.NewGuid();
        var url = Links().Url("harborview", id).ShouldNotBeNull();

        url.ShouldStartWith("https://hotel.example/s/harborview~");
        url.Length.ShouldBeLessThan(80);
        Links().TryRead(url[(url.IndexOf("/s/", StringComparison.Ordinal) + 3)..], out var site, out var read).ShouldBeTrue();
        (site, read).ShouldBe(("harborview", id));
    }

    [Fact]
    public void AnAlteredSiteIdOrSignatureIsRefused()
    {
        var id = Guid.NewGuid();
        var token = Links().Token("harborview", id);
        var parts = token.Split('~');

        Links().TryRead($"other~{parts[1]}~{parts[2]}", out _, out _).ShouldBeFalse();
        Links().TryRead($"{parts[0]}~{Links().Token("harborview", Guid.NewGuid()).Split('~')[1]}~{parts[2]}", out _, out _).ShouldBeFalse();
        Links().TryRead($"{parts[0]}~{parts[1]}~{parts[2][..^1]}{(parts[2][^1] == 'A' ? 'B' : 'A')}", out _, out _).ShouldBeFalse();
        Links("bm90IHRoZSBzYW1lIGtleSBub3QgdGhlIHNhbWUga2V5IQ==").TryRead(token, out _, out _).ShouldBeFalse();
        Links().TryRead("garbage", out _, out _).ShouldBeFalse();
        Links().TryRead(null, out _, out _).ShouldBeFalse();
    }

    [Fact]
    public void WithoutAKeyThereAreNoLinks()
    {
        var links = new StatusLinks(Options.Create(new StatusLinkOptions { BaseUrl = "https://hotel.example" }));
        links.Enabled.ShouldBeFalse();
        links.Url("harborview", Guid.NewGuid()).ShouldBeNull();
    }

    [Fact]
    public void ALinkStopsWorkingThirtyDaysAfterItsPromiseEnds()
    {
        var done = DateTimeOffset.Parse("2026-11-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        CommitmentView View(CommitmentStatus status, params HistoryEvent[] history) => new(
            Guid.NewGuid(), "harborview", "Extra towels", new Customer("Ana", null, "412", false, null), "desk1", "desk1",
            done.AddHours(-1), status, null, history, done.AddHours(-2), [], null, null);
        var created = new HistoryEvent(1, done.AddHours(-2), Actor.Staff("desk1"), EventTypes.Created, new Dictionary<string, string>());
        var completed = new HistoryEvent(2, done, Actor.Staff("desk1"), EventTypes.Completed, new Dictionary<string, string>());

        Links().Expired(View(CommitmentStatus.Done, created, completed), done.AddDays(30)).ShouldBeFalse();
        Links().Expired(View(CommitmentStatus.Done, created, completed), done.AddDays(30).AddMinutes(1)).ShouldBeTrue();
        // An open promise's link keeps working however old it is.
        Links().Expired(View(CommitmentStatus.Open, created), done.AddDays(400)).ShouldBeFalse();
    }
}
