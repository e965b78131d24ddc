using System.Text.RegularExpressions;
using Commitments.Grains.Common;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;

namespace Commitments.Grains.Tests.Sites;

/// <summary>
/// A staff mobile a manager types proves itself with a code before it gets staff texts or acts as the
/// person (issue 14 point 6): the site's own outbox carries the code, the phone's reply checks it.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class StaffPhoneTests(ClusterFixture fixture)
{
    private const string Dispatcher = "test-dispatcher";
    private static readonly Actor Manager = Actor.Staff("mgr1");

    private int _mobiles = 100;

    private string NewMobile() => "+1202558" + (Random.Shared.Next(1000, 8999) + Interlocked.Increment(ref _mobiles)).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task ANewMobileIsNotVerifiedAndIsTextedACode()
    {
        var site = await fixture.NewSiteAsync();
        var mobile = NewMobile();

        var added = await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", mobile, Roles.Staff, "housekeeping", "4444"));

        added.MobileUnverified.ShouldBeTrue();
        added.VerificationSentAt.ShouldBe(fixture.Time.GetUtcNow());
        var text = (await site.Site.BeginDueTexts(Dispatcher)).Send.ShouldHaveSingleItem();
        text.To.ShouldBe(mobile);
        text.CommitmentId.ShouldBe(TextOutboxes.SiteTexts);
        text.Body.ShouldStartWith("Test Hotel: Lee Park, your manager added this phone");
        CodeIn(text.Body).Length.ShouldBe(StaffPhoneCodes.Digits);
        // Claimed: not handed out twice.
        (await site.Site.BeginDueTexts(Dispatcher)).Send.ShouldBeEmpty();
    }

    [Fact]
    public async Task TheRightCodeVerifiesThePhoneAndAWrongOneDoesNot()
    {
        var site = await fixture.NewSiteAsync();
        var mobile = NewMobile();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", mobile, Roles.Staff, "housekeeping", "4444"));
        var code = CodeIn((await site.Site.BeginDueTexts(Dispatcher)).Send.Single().Body);
        var handset = IHandsetGrain.For(fixture.Grains, mobile);

        var wrong = await handset.Receive(Inbound("VERIFY " + (code == "111111" ? "222222" : "111111")));
        var asStaff = await handset.Receive(Inbound("DONE"));

        wrong.Outcome.ShouldBe("verify-wrong");
        asStaff.Outcome.ShouldBe("unknown-number", "an unverified phone does not act as the person");
        (await handset.IsStaffOf(site.Id, "hk3")).ShouldBeFalse();

        var right = await handset.Receive(Inbound("VERIFY " + code));

        right.Outcome.ShouldBe("verified");
        right.Message.ShouldBe("Thank you, Lee Park: this phone now gets your work texts for Test Hotel. Reply HELP for the commands.");
        (await handset.IsStaffOf(site.Id, "hk3")).ShouldBeTrue();
        (await VerifiedAsync(site, "hk3")).ShouldBeTrue();
    }

    [Fact]
    public async Task FiveWrongCodesVoidTheCode()
    {
        var site = await fixture.NewSiteAsync();
        var mobile = NewMobile();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", mobile, Roles.Staff, "housekeeping", "4444"));
        var code = CodeIn((await site.Site.BeginDueTexts(Dispatcher)).Send.Single().Body);
        var handset = IHandsetGrain.For(fixture.Grains, mobile);
        var wrong = code == "111111" ? "222222" : "111111";

        for (var i = 0; i < StaffPhoneCodes.MaxWrongCodes; i++)
        {
            (await handset.Receive(Inbound(wrong))).Outcome.ShouldBe("verify-wrong");
        }

        (await handset.Receive(Inbound("VERIFY " + code))).Outcome.ShouldBe("unknown-number");
        (await handset.IsStaffOf(site.Id, "hk3")).ShouldBeFalse();
    }

    [Fact]
    public async Task NoStaffTextGoesToAnUnverifiedPhone()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", NewMobile(), Roles.Staff, "housekeeping", "4444"));
        var (grain, _) = await site.PromiseAsync(by: "desk1", handoffTo: "hk3");

        var work = await grain.BeginDueTexts(Dispatcher);

        work.Send.ShouldNotContain(t => t.TextId.Contains(":hk3"));
        var offer = (await grain.Get())!.Texts.Single(t => t.Id.EndsWith(":handoff-offered:hk3", StringComparison.Ordinal));
        offer.Status.ShouldBe("skipped");
        offer.Reason.ShouldBe("The staff member's phone is not verified yet.");
    }

    [Fact]
    public async Task AGuestsNumberAddedAsStaffElsewhereStaysTheGuests()
    {
        var hotelA = await fixture.NewSiteAsync();
        var hotelB = await fixture.NewSiteAsync();
        var guest = NewMobile();
        var (promise, _) = await hotelA.PromiseAsync(by: "desk1", mobile: guest);
        var created = (await promise.BeginDueTexts(Dispatcher)).Send.Single(t => t.To == guest);
        await promise.RecordSendOutcome(created.TextId, new SendOutcome("SM" + Guid.NewGuid().ToString("N"), "queued", null, null, Final: true));
        await promise.Complete(Actor.Staff("desk1"), null);

        // Hotel B's manager types the guest's number as a staff mobile.
        await hotelB.Site.AddStaff(Manager, new StaffInput("spy", "Sly Spy", guest, Roles.Staff, "housekeeping", "4444"));
        var reply = await IHandsetGrain.For(fixture.Grains, guest).Receive(Inbound("NO"));

        reply.Outcome.ShouldBe("customer-replied", "the guest's NO is the guest's: it reopens hotel A's promise");
        (await promise.Get())!.Status.ShouldBe(global::Commitments.Grains.Commitments.CommitmentStatus.Open);
        (await IHandsetGrain.For(fixture.Grains, guest).IsStaffOf(hotelB.Id, "spy")).ShouldBeFalse();
    }

    [Fact]
    public async Task AManagerCanSendANewCodeButNotFloodANumber()
    {
        var site = await fixture.NewSiteAsync();
        var mobile = NewMobile();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", mobile, Roles.Staff, "housekeeping", "4444"));
        var first = CodeIn((await site.Site.BeginDueTexts(Dispatcher)).Send.Single().Body);

        var tooSoon = await Should.ThrowAsync<RuleViolationException>(() => site.Site.ResendVerification(Manager, "hk3"));
        tooSoon.Kind.ShouldBe(RuleKind.TooManyAttempts);
        tooSoon.RetryAfterSeconds.ShouldBe(60);
        (await Should.ThrowAsync<RuleViolationException>(() => site.Site.ResendVerification(Actor.Staff("hk1"), "hk3"))).Kind.ShouldBe(RuleKind.Forbidden);

        fixture.Time.Advance(StaffPhones.ResendAfter);
        await site.Site.ResendVerification(Manager, "hk3");
        var second = CodeIn((await site.Site.BeginDueTexts(Dispatcher)).Send.Single().Body);
        var handset = IHandsetGrain.For(fixture.Grains, mobile);

        if (first != second)
        {
            (await handset.Receive(Inbound("VERIFY " + first))).Outcome.ShouldBe("verify-wrong", "a new code voids the earlier one");
        }

        (await handset.Receive(Inbound("VERIFY " + second))).Outcome.ShouldBe("verified");
        (await VerifiedAsync(site, "hk3")).ShouldBeTrue();
        (await Should.ThrowAsync<RuleViolationException>(() => site.Site.ResendVerification(Manager, "hk3"))).Kind.ShouldBe(RuleKind.Conflict);
    }

    [Fact]
    public async Task AChangedMobileProvesItselfAndTheOldPhoneStopsActing()
    {
        var site = await fixture.NewSiteAsync();
        var before = (await site.Site.GetStaff("hk1"))!;
        var newMobile = NewMobile();

        var changed = await site.Site.UpdateStaff(Manager, "hk1", new StaffInput(null, null, newMobile, null, null, null));

        changed.MobileUnverified.ShouldBeTrue();
        (await IHandsetGrain.For(fixture.Grains, before.Mobile).IsStaffOf(site.Id, "hk1")).ShouldBeFalse();
        (await IHandsetGrain.For(fixture.Grains, newMobile).IsStaffOf(site.Id, "hk1")).ShouldBeFalse();
        var code = CodeIn((await site.Site.BeginDueTexts(Dispatcher)).Send.Single(t => t.To == newMobile).Body);
        (await IHandsetGrain.For(fixture.Grains, newMobile).Receive(Inbound(code))).Outcome.ShouldBe("verified", "the code alone works too");
        (await VerifiedAsync(site, "hk1")).ShouldBeTrue();
    }

    [Fact]
    public async Task AVerificationTheSiteNeverHeardOfIsFoundWhenAManagerAsksAgain()
    {
        var site = await fixture.NewSiteAsync();
        var mobile = NewMobile();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", mobile, Roles.Staff, "housekeeping", "4444"));
        (await site.Site.BeginDueTexts(Dispatcher)).Send.ShouldHaveSingleItem();
        // The phone is the person's, and the one-way word of it was lost.
        await IHandsetGrain.For(fixture.Grains, mobile).RegisterStaff(site.Id, "hk3", active: true);
        fixture.Time.Advance(StaffPhones.ResendAfter);

        var info = await site.Site.ResendVerification(Manager, "hk3");

        info.MobileUnverified.ShouldBeFalse();
        (await site.Site.BeginDueTexts(Dispatcher)).Send.ShouldBeEmpty("no new code goes to a phone that is verified");
    }

    [Fact]
    public async Task ACodeTwilioAcceptedKeepsNoWordsAndItsStatusMovesUp()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", NewMobile(), Roles.Staff, "housekeeping", "4444"));
        var text = (await site.Site.BeginDueTexts(Dispatcher)).Send.Single();

        await site.Site.RecordSendOutcome(text.TextId, new SendOutcome("SM1", "queued", null, null, Final: true));
        await site.Site.UpdateTextStatus(text.TextId, "SM1", "delivered", null);
        await site.Site.UpdateTextStatus(text.TextId, "SM1", "sent", null);

        (await site.Site.SubmittedSid(text.TextId)).ShouldBe("SM1");
        (await site.Site.BeginDueTexts(Dispatcher)).ShouldBe(TextWork.None);
    }

    [Fact]
    public async Task TheSitesSweepWakesACodeThatIsStillDue()
    {
        var site = await fixture.NewSiteAsync();
        await site.Site.AddStaff(Manager, new StaffInput("hk3", "Lee Park", NewMobile(), Roles.Staff, "housekeeping", "4444"));
        // A dispatcher that died with its claim: the sweep finds the code again once the claim is over.
        (await site.Site.BeginDueTexts("gone-silo")).Send.ShouldHaveSingleItem();
        fixture.Time.Advance(global::Commitments.Grains.Texts.TextOutboxes.AttemptLease);
        var before = fixture.Signal.SiteReadyCount(site.Id);

        await fixture.Grains.GetGrain<global::Commitments.Grains.Index.ISiteIndexGrain>(site.Id).SweepTexts(TimeSpan.FromSeconds(1), global::Commitments.Grains.Texts.TextOutboxes.AttemptLease);
        await fixture.Signal.WaitForSiteReadyAsync(site.Id, before);

        var again = (await site.Site.BeginDueTexts(Dispatcher)).Send.ShouldHaveSingleItem();
        again.LookUpSince.ShouldNotBeNull("an attempt that may have reached Twilio is looked up first");
    }

    [Fact]
    public async Task StaffFromConfigurationAreTrusted()
    {
        var site = await fixture.NewSiteAsync();

        var seeded = await site.Site.EnsureStaff(new StaffInput("hk9", "Seeded Person", NewMobile(), Roles.Staff, "housekeeping", "4444"));

        seeded.MobileUnverified.ShouldBeFalse();
        (await IHandsetGrain.For(fixture.Grains, seeded.Mobile).IsStaffOf(site.Id, "hk9")).ShouldBeTrue();
    }

    [Fact]
    public void TheCodeTextFitsInTwoSegmentsWithTheLongestNames()
    {
        var phones = new StaffPhones(fixture.Time);
        var (_, text) = phones.Issue(new SiteState { Name = "The Grand " + new string('H', 90) }, "s", "hk3", new StaffRecord(), "+12025550177", new string('N', 100));

        global::Commitments.Twilio.SmsSegments.Count(text.Body!, smartEncode: true).Segments.ShouldBeLessThanOrEqualTo(TextTemplates.MaxSegments, text.Body);
        text.Body!.ShouldContain("Reply VERIFY ");
    }

    private static string CodeIn(string body) => CodePattern().Match(body).Groups[1].Value;

    [GeneratedRegex(@"VERIFY (\d{6})")]
    private static partial Regex CodePattern();

    private static InboundText Inbound(string body) => new("SM" + Guid.NewGuid().ToString("N"), body);

    // The phone tells the site one way: the site's record catches up a moment later.
    private static async Task<bool> VerifiedAsync(TestSite site, string staffId)
    {
        for (var i = 0; i < 1000; i++)
        {
            if ((await site.Site.GetStaff(staffId))!.MobileUnverified == false)
            {
                return true;
            }
        }

        return false;
    }
}
