using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Tests.Sites;

[Collection(ClusterCollection.Name)]
public sealed class StaffTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AManagerAddsStaffWithANormalisedMobileAndAHashedPin()
    {
        var site = await fixture.NewSiteAsync();

        var added = await site.Site.AddStaff(Actor.Staff("mgr1"), new StaffInput("hk3", " Lee Park ", "202 555 0177", Roles.Staff, "housekeeping", "4444"));

        added.ShouldBe(new StaffInfo("hk3", "Lee Park", "+12025550177", Roles.Staff, "housekeeping", true)
        {
            SecurityStamp = added.SecurityStamp,
            MobileUnverified = true,
            VerificationSentAt = fixture.Time.GetUtcNow(),
        });
        added.SecurityStamp.ShouldNotBeNullOrEmpty();
        (await site.Site.SignIn("hk3", "4444")).Outcome.ShouldBe(SignInOutcome.SignedIn);
    }

    [Fact]
    public async Task OnlyAManagerChangesStaff()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() =>
            site.Site.AddStaff(Actor.Staff("desk1"), new StaffInput("x1", "X", "+12025550177", Roles.Staff, "housekeeping", "4444")));

        ex.Kind.ShouldBe(RuleKind.Forbidden);
    }

    [Fact]
    public async Task BadStaffFieldsAreNamed()
    {
        var site = await fixture.NewSiteAsync();

        var ex = await Should.ThrowAsync<RuleViolationException>(() =>
            site.Site.AddStaff(Actor.Staff("mgr1"), new StaffInput("Bad Id", "", "555", "boss", "spa", "12")));

        ex.Errors.Keys.Order().ShouldBe(["id", "mobile", "name", "pin", "role", "team"]);
    }

    [Fact]
    public async Task ADeactivatedLeaverCannotSignInAndTheirOpenPromisesAreListed()
    {
        var site = await fixture.NewSiteAsync();
        var (owned, _) = await site.PromiseAsync(by: "hk2");
        var (offered, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk2");

        var result = await site.Site.DeactivateStaff(Actor.Staff("mgr1"), "hk2");

        result.Staff.Active.ShouldBeFalse();
        result.OpenPromises.Select(e => e.Id).ShouldBe([(await owned.Get())!.Id]);
        result.OfferedHandoffs.Select(e => e.Id).ShouldBe([(await offered.Get())!.Id]);
        (await site.Site.SignIn("hk2", "2223")).Outcome.ShouldBe(SignInOutcome.WrongPin);
        (await site.Site.ListStaff(includeInactive: false)).ShouldNotContain(s => s.Id == "hk2");
    }

    [Fact]
    public async Task TheLastManagerCannotBeDeactivated()
    {
        var site = await fixture.NewSiteAsync();

        (await Should.ThrowAsync<RuleViolationException>(() => site.Site.DeactivateStaff(Actor.Staff("mgr1"), "mgr1"))).Kind.ShouldBe(RuleKind.Conflict);
    }

    [Fact]
    public async Task FiveWrongPinsLockAStaffMemberOutForFiveMinutes()
    {
        var site = await fixture.NewSiteAsync();
        for (var i = 0; i < 4; i++)
        {
            (await site.Site.SignIn("hk1", "0000")).Outcome.ShouldBe(SignInOutcome.WrongPin);
        }

        var fifth = await site.Site.SignIn("hk1", "0000");
        fifth.Outcome.ShouldBe(SignInOutcome.LockedOut);
        fifth.RetryAfter.ShouldBe(TimeSpan.FromMinutes(5));
        (await site.Site.SignIn("hk1", "2222")).Outcome.ShouldBe(SignInOutcome.LockedOut);
        (await site.Site.SignIn("hk2", "2223")).Outcome.ShouldBe(SignInOutcome.SignedIn);

        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        (await site.Site.SignIn("hk1", "2222")).Outcome.ShouldBe(SignInOutcome.SignedIn);
    }

    [Fact]
    public async Task EnsuringASiteTwiceChangesNothing()
    {
        var site = await fixture.NewSiteAsync();

        var again = await site.Site.Ensure(new SiteSetup("Another Name", "Europe/Madrid", "ES"));

        again.Name.ShouldBe("Test Hotel");
        again.TimeZone.ShouldBe("America/New_York");
    }
}
