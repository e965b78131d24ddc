using Commitments.Grains.Escalation;

namespace Commitments.Grains.Tests.Escalation;

/// <summary>The per-person limit on escalation texts, kept by one limiter per site.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TextLimiterTests(ClusterFixture fixture)
{
    private static LimitedText Text(string site, string code) => new(site, Guid.NewGuid(), "t-" + code, code);

    [Fact]
    public async Task OneTextAMinutePerPersonTheRestHeldThenCarriedAsOne()
    {
        var site = "limits-" + Guid.NewGuid().ToString("N")[..8];
        var limiter = ITextLimiterGrain.For(fixture.Grains, site);
        var ana = ITextLimiterGrain.Person("+12025550191");
        var ben = ITextLimiterGrain.Person("+12025550192");

        (await limiter.Claim(ana, Text(site, "A1"))).Outcome.ShouldBe(LimitDecision.Send);
        (await limiter.Claim(ben, Text(site, "B1"))).Outcome.ShouldBe(LimitDecision.Send, "another person of the site has a limit of their own");

        var second = Text(site, "A2");
        var third = Text(site, "A3");
        var held = await limiter.Claim(ana, second);
        held.Outcome.ShouldBe(LimitDecision.Hold);
        held.Until.ShouldBe(fixture.Time.GetUtcNow() + TimeSpan.FromMinutes(1));
        (await limiter.Claim(ana, second)).ShouldBe(held, "asking again gets the same answer");
        (await limiter.Claim(ana, third)).Outcome.ShouldBe(LimitDecision.Hold);
        (await limiter.Release(ana, second)).Outcome.ShouldBe(LimitDecision.Hold, "the minute is not over");

        fixture.Time.Advance(TimeSpan.FromMinutes(1));
        var carried = await limiter.Release(ana, second);
        carried.Outcome.ShouldBe(LimitDecision.Send);
        carried.Codes.ShouldBe(["A2", "A3"]);
        (await limiter.Release(ana, third)).ShouldBe(new LimitDecision(LimitDecision.Bundled, Carrier: "A2"));
    }

    [Fact]
    public async Task AWithdrawnTextIsNotCarried()
    {
        var site = "limits-" + Guid.NewGuid().ToString("N")[..8];
        var limiter = ITextLimiterGrain.For(fixture.Grains, site);
        var ana = ITextLimiterGrain.Person("+12025550193");
        await limiter.Claim(ana, Text(site, "A1"));
        var kept = Text(site, "A2");
        var withdrawn = Text(site, "A3");
        await limiter.Claim(ana, kept);
        await limiter.Claim(ana, withdrawn);

        await limiter.Withdraw(ana, withdrawn);
        fixture.Time.Advance(TimeSpan.FromMinutes(1));

        (await limiter.Release(ana, kept)).Codes.ShouldBe(["A2"]);
    }
}
