using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Tests.Sites;

/// <summary>Sign-in rules of the site: locks that say nothing about who exists, apart for the site's own devices; managers' long PINs; sign-ins that end.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SignInTests(ClusterFixture fixture)
{
    [Fact]
    public async Task ACodeThatIsNobodysIsCheckedAsLongAndLockedLikeAPerson()
    {
        var site = await fixture.NewSiteAsync();

        var before = fixture.Hasher.Verified;
        (await site.Site.SignIn("ghost", "1234")).Outcome.ShouldBe(SignInOutcome.WrongPin);
        // A PIN was checked (against a decoy hash), as for a real person: the answer takes as long.
        (fixture.Hasher.Verified - before).ShouldBe(1);

        for (var i = 0; i < 3; i++)
        {
            (await site.Site.SignIn("ghost", "1234")).Outcome.ShouldBe(SignInOutcome.WrongPin);
        }

        var fifth = await site.Site.SignIn("ghost", "1234");
        fifth.Outcome.ShouldBe(SignInOutcome.LockedOut);
        fifth.RetryAfter.ShouldBe(TimeSpan.FromMinutes(5));
    }

    [Fact]
    public async Task WrongPinsFromElsewhereDoNotLockAPersonOutOfTheSitesOwnDevices()
    {
        var site = await fixture.NewSiteAsync();
        for (var i = 0; i < 5; i++)
        {
            await site.Site.SignIn("desk1", "0000");
        }

        (await site.Site.SignIn("desk1", "1111")).Outcome.ShouldBe(SignInOutcome.LockedOut);
        (await site.Site.SignIn("desk1", "1111", enrolledDevice: true)).Outcome.ShouldBe(SignInOutcome.SignedIn);

        // The site's own devices count their own failures.
        for (var i = 0; i < 4; i++)
        {
            (await site.Site.SignIn("hk1", "0000", enrolledDevice: true)).Outcome.ShouldBe(SignInOutcome.WrongPin);
        }

        (await site.Site.SignIn("hk1", "0000", enrolledDevice: true)).Outcome.ShouldBe(SignInOutcome.LockedOut);
        (await site.Site.SignIn("hk1", "2222")).Outcome.ShouldBe(SignInOutcome.SignedIn);
    }

    [Fact]
    public async Task AManagerNeedsAPinOfSixDigits()
    {
        var site = await fixture.NewSiteAsync();

        var added = await Should.ThrowAsync<RuleViolationException>(() => site.Site.AddStaff(Actor.Staff("mgr1"),
            new StaffInput("mgr2", "Lee Chan", "+12025550177", Roles.Manager, "front-desk", "1234")));
        added.Errors.Keys.ShouldContain("pin");
        added.Errors["pin"].Single().ShouldContain("6–8 digits for a manager");

        // Made a manager without a new PIN: the 4-digit one will not do.
        var promoted = await Should.ThrowAsync<RuleViolationException>(() => site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk1",
            new StaffInput(null, null, null, Roles.Manager, null, null)));
        promoted.Errors.Keys.ShouldContain("pin");

        (await site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk1", new StaffInput(null, null, null, Roles.Manager, null, "246810"))).Role.ShouldBe(Roles.Manager);
        (await site.Site.SignIn("hk1", "246810")).Outcome.ShouldBe(SignInOutcome.SignedIn);
    }

    [Fact]
    public async Task SigningOutEndsThatSignInAndANewPinOrRoleEndsThemAll()
    {
        var site = await fixture.NewSiteAsync();
        var phone = await site.Site.SignIn("hk1", "2222");
        var tablet = await site.Site.SignIn("hk1", "2222");
        var stamp = phone.Staff!.SecurityStamp;

        (await site.Site.IsSignedIn("hk1", phone.Session!, stamp)).ShouldBeTrue();
        await site.Site.SignOut("hk1", phone.Session!);
        (await site.Site.IsSignedIn("hk1", phone.Session!, stamp)).ShouldBeFalse();
        (await site.Site.IsSignedIn("hk1", tablet.Session!, stamp)).ShouldBeTrue();

        var changed = await site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk1", new StaffInput(null, null, null, null, null, "5555"));
        changed.SecurityStamp.ShouldNotBe(stamp);
        (await site.Site.IsSignedIn("hk1", tablet.Session!, stamp)).ShouldBeFalse();
        (await site.Site.IsSignedIn("hk1", tablet.Session!, changed.SecurityStamp)).ShouldBeFalse();

        var again = await site.Site.SignIn("hk1", "5555");
        (await site.Site.IsSignedIn("hk1", again.Session!, again.Staff!.SecurityStamp)).ShouldBeTrue();
        var demoted = await site.Site.UpdateStaff(Actor.Staff("mgr1"), "hk1", new StaffInput(null, null, null, null, "front-desk", null));
        demoted.SecurityStamp.ShouldBe(again.Staff.SecurityStamp, "a new team is not a new standing");
        await site.Site.DeactivateStaff(Actor.Staff("mgr1"), "hk1");
        (await site.Site.IsSignedIn("hk1", again.Session!, again.Staff.SecurityStamp)).ShouldBeFalse();
    }

    [Fact]
    public async Task FailuresFromOneSourceMeetDelaysThatDoubleAndWearOff()
    {
        var throttle = fixture.Grains.GetGrain<ISignInThrottleGrain>(ISignInThrottleGrain.Address("198.51.100." + Random.Shared.Next(1, 250)));
        var rule = new ThrottleRule(FreeFailures: 3, DecayEvery: TimeSpan.FromMinutes(10), MaxDelay: TimeSpan.FromMinutes(15), FirstDelay: TimeSpan.FromSeconds(1));

        for (var i = 0; i < 3; i++)
        {
            (await throttle.Failed(rule)).ShouldBeNull();
        }

        (await throttle.Failed(rule)).ShouldBe(TimeSpan.FromSeconds(1));
        (await throttle.WaitFor()).ShouldBe(TimeSpan.FromSeconds(1));
        (await throttle.Failed(rule)).ShouldBe(TimeSpan.FromSeconds(2));
        (await throttle.Failed(rule)).ShouldBe(TimeSpan.FromSeconds(4));
        for (var i = 0; i < 12; i++)
        {
            await throttle.Failed(rule);
        }

        (await throttle.WaitFor()).ShouldBe(TimeSpan.FromMinutes(15));

        // A failure wears off every ten minutes: after a quiet day the source starts again.
        fixture.Time.Advance(TimeSpan.FromHours(24));
        (await throttle.WaitFor()).ShouldBeNull();
        (await throttle.Failed(rule)).ShouldBeNull();
    }

    [Theory]
    // The host's defaults (SignInThrottleOptions): per address, and per site from every address together.
    // Measured (the clock is simulated, so the same every run): 163 then 145 a day; 326 then 289.
    [InlineData(10, 10, 160, 170, 144, 146)]
    [InlineData(30, 5, 320, 330, 288, 290)]
    public async Task AnAttackerWhoAlwaysTriesAgainTheMomentItMayGetsAboutOneGuessPerWearingOff(
        int free, int decayMinutes, int firstDayLow, int firstDayHigh, int nextDayLow, int nextDayHigh)
    {
        var throttle = fixture.Grains.GetGrain<ISignInThrottleGrain>(ISignInThrottleGrain.Site("sim-" + Guid.NewGuid().ToString("N")));
        var rule = new ThrottleRule(free, TimeSpan.FromMinutes(decayMinutes), TimeSpan.FromMinutes(15), TimeSpan.FromSeconds(1));

        async Task<int> GuessesWithin(TimeSpan span)
        {
            var until = fixture.Time.GetUtcNow() + span;
            var guesses = 0;
            while (fixture.Time.GetUtcNow() < until)
            {
                if (await throttle.WaitFor() is { } wait)
                {
                    fixture.Time.Advance(wait);
                    continue;
                }

                await throttle.Failed(rule);
                guesses++;
            }

            return guesses;
        }

        (await GuessesWithin(TimeSpan.FromDays(1))).ShouldBeInRange(firstDayLow, firstDayHigh);
        (await GuessesWithin(TimeSpan.FromDays(1))).ShouldBeInRange(nextDayLow, nextDayHigh);
    }
}
