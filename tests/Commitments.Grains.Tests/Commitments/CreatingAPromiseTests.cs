using Commitments.Grains.Commitments;
using Commitments.Grains.Common;

namespace Commitments.Grains.Tests.Commitments;

[Collection(ClusterCollection.Name)]
public sealed class CreatingAPromiseTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheMakerOwnsThePromiseFromTheFirstSecond()
    {
        var site = await fixture.NewSiteAsync();

        var (_, view) = await site.PromiseAsync(by: "desk1");

        view.Owner.ShouldBe("desk1");
        view.PromisedBy.ShouldBe("desk1");
        view.Status.ShouldBe(CommitmentStatus.Open);
        view.PendingHandoff.ShouldBeNull();
        view.Customer.Mobile.ShouldBe("+12025550199");
        view.Customer.Language.ShouldBe("es");
        view.History.Select(e => e.Type).ShouldBe([EventTypes.Created]);
        view.History[0].Actor.ShouldBe(Actor.Staff("desk1"));
        view.History[0].At.ShouldBe(fixture.Time.GetUtcNow());
    }

    [Fact]
    public async Task NamingSomeoneAtCreationOffersAHandoffButTheMakerStaysOwner()
    {
        var site = await fixture.NewSiteAsync();

        var (_, view) = await site.PromiseAsync(by: "desk1", handoffTo: "hk1");

        view.Owner.ShouldBe("desk1");
        view.PendingHandoff.ShouldNotBeNull();
        view.PendingHandoff.To.ShouldBe("hk1");
        view.PendingHandoff.From.ShouldBe("desk1");
        view.History.Select(e => e.Type).ShouldBe([EventTypes.Created, EventTypes.HandoffProposed]);
        view.History.Select(e => e.Seq).ShouldBe([1, 2]);
    }

    [Fact]
    public async Task TheSameIdWithTheSameContentIsTheSamePromise()
    {
        var site = await fixture.NewSiteAsync();
        var grain = site.Commitment(Guid.NewGuid());
        var input = new NewCommitment("Late checkout", new CustomerInput("Ana", null, "12", null, null), site.InMinutes(60), null, null);

        var first = await grain.Create(Actor.Staff("desk1"), input);
        var again = await grain.Create(Actor.Staff("desk1"), input with { What = "  Late checkout " });

        first.Created.ShouldBeTrue();
        again.Created.ShouldBeFalse();
        again.Commitment.History.Count.ShouldBe(1);
    }

    [Fact]
    public async Task TheSameIdWithDifferentContentIsAConflict()
    {
        var site = await fixture.NewSiteAsync();
        var grain = site.Commitment(Guid.NewGuid());
        var input = new NewCommitment("Late checkout", new CustomerInput("Ana", null, null, null, null), site.InMinutes(60), null, null);
        await grain.Create(Actor.Staff("desk1"), input);

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.Create(Actor.Staff("desk1"), input with { What = "Taxi" }));

        ex.Kind.ShouldBe(RuleKind.Conflict);
        ex.Errors.Keys.ShouldBe(["id"]);
        (await grain.Get())!.What.ShouldBe("Late checkout");
    }

    [Theory]
    [InlineData("", "what")]
    [InlineData("x", "customer.name")]
    public async Task MissingTextIsRejectedNamingTheField(string what, string field)
    {
        var site = await fixture.NewSiteAsync();
        var grain = site.Commitment(Guid.NewGuid());
        var customer = field == "customer.name" ? new CustomerInput("   ", null, null, null, null) : new CustomerInput("Ana", null, null, null, null);

        var ex = await Should.ThrowAsync<RuleViolationException>(() =>
            grain.Create(Actor.Staff("desk1"), new NewCommitment(what, customer, site.InMinutes(30), null, null)));

        ex.Kind.ShouldBe(RuleKind.Invalid);
        ex.Errors.Keys.ShouldContain(field);
        (await grain.Get()).ShouldBeNull();
    }

    [Fact]
    public async Task EveryBadFieldIsNamedAtOnce()
    {
        var site = await fixture.NewSiteAsync();
        var grain = site.Commitment(Guid.NewGuid());

        var ex = await Should.ThrowAsync<RuleViolationException>(() => grain.Create(Actor.Staff("desk1"), new NewCommitment(
            new string('a', 501), new CustomerInput(new string('b', 101), "12", new string('c', 41), true, "e n"), "tomorrow", null, "note")));

        ex.Errors.Keys.Order().ShouldBe(["customer.language", "customer.mobile", "customer.name", "customer.room", "dueAt", "handoffNote", "what"]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public async Task ADeadlineMustBeAtLeastAMinuteAhead(int minutes)
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.PromiseAsync(dueInMinutes: minutes));

        ex.Errors["dueAt"][0].ShouldContain("at least 1 minute");
    }

    [Fact]
    public async Task ADeadlineMoreThan366DaysAheadIsRejected()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.PromiseAsync(dueInMinutes: 367 * 24 * 60));

        ex.Errors["dueAt"][0].ShouldContain("366 days");
    }

    [Fact]
    public async Task HandingOffToSomeoneWhoIsNotStaffIsRejected()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.PromiseAsync(handoffTo: "housekeeping"));

        ex.Errors.Keys.ShouldBe(["handoffTo"]);
    }

    [Fact]
    public async Task HandingOffToYourselfIsRejected()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.PromiseAsync(by: "desk1", handoffTo: "desk1"));

        ex.Errors.Keys.ShouldBe(["handoffTo"]);
    }

    [Fact]
    public async Task SomeoneWhoIsNotStaffOfTheSiteCannotPromise()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.PromiseAsync(by: "stranger"));

        ex.Kind.ShouldBe(RuleKind.Forbidden);
    }
}
