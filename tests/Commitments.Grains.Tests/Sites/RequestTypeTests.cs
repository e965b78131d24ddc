using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Tests.Sites;

[Collection(ClusterCollection.Name)]
public sealed class RequestTypeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ASiteStartsWithTheDefaultsAndTheMostUsedComeFirst()
    {
        var site = await fixture.NewSiteAsync();

        var first = await site.Site.ListRequestTypes();
        first.Select(t => t.Id).ShouldBe(["extra-towels", "late-checkout", "taxi", "wake-up-call", "repair-in-room"]);
        first[0].ShouldBe(new RequestTypeInfo("extra-towels", "Extra towels", 20, "housekeeping", 0));

        await site.Site.RequestTypeUsed("taxi");
        await site.Site.RequestTypeUsed("taxi");
        await site.Site.RequestTypeUsed("repair-in-room");

        (await site.Site.ListRequestTypes()).Select(t => t.Id).ShouldBe(["taxi", "repair-in-room", "extra-towels", "late-checkout", "wake-up-call"]);
    }

    [Fact]
    public async Task AManagerReplacesTheListKeepingTheCountsOfTypesThatStay()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.RequestTypeUsed("taxi");

        var saved = await site.Site.SetRequestTypes(Actor.Staff("mgr1"),
            [new RequestTypeInput("taxi", "Taxi", 10, null), new RequestTypeInput("ironing-board", "Ironing board", 30, "housekeeping")]);

        saved.ShouldBe([new RequestTypeInfo("taxi", "Taxi", 10, null, 1), new RequestTypeInfo("ironing-board", "Ironing board", 30, "housekeeping", 0)]);
    }

    [Fact]
    public async Task BadRequestTypesAreNamedByPositionAndChangeNothing()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.Site.SetRequestTypes(Actor.Staff("mgr1"),
            [new RequestTypeInput("Bad Id", "", -5, "spa"), new RequestTypeInput("taxi", "Taxi", 10, null), new RequestTypeInput("taxi", "Taxi again", 10, null)]));

        ex.Errors.Keys.Order().ShouldBe(["requestTypes[0].id", "requestTypes[0].label", "requestTypes[0].leadMinutes", "requestTypes[0].team", "requestTypes[2].id"]);
        (await site.Site.ListRequestTypes()).Count.ShouldBe(5);
        (await Should.ThrowAsync<RuleViolationException>(() => site.Site.SetRequestTypes(Actor.Staff("desk1"), [new RequestTypeInput("taxi", "Taxi", 10, null)])))
            .Kind.ShouldBe(RuleKind.Forbidden);
    }
}
