using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class PromisePagesTests(BrowserFixture browser)
{
    public static TheoryData<int, int> Tablets => new() { { 1024, 768 }, { 768, 1024 } };

    [Theory]
    [MemberData(nameof(Tablets))]
    public async Task ACommonPromiseTakesAtMostSixTapsNoScrollingAndIsConfirmedAtTheButton(int width, int height)
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(width, height);
        await page.SignInAsync(site, "desk1", "1111");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync(width == 768 ? "new-promise" : "new-promise-landscape");

        // On a shared tablet the header says who "I" is.
        await Assertions.Expect(page.GetByTestId("signed-in-as")).ToBeVisibleAsync();
        (await page.GetByTestId("signed-in-as").TextContentAsync()).ShouldBe("Dana Whitfield");

        // Request type, name, room, mobile, consent, a person: everything is on the screen as it opens.
        var taps = new Taps(page) { InViewOnly = true };
        await taps.TapTestIdAsync("type-extra-towels");
        // The name field takes the typing at once; the tablet keyboard's Next (Tab) moves on.
        await Assertions.Expect(page.Locator("#customer-name")).ToBeFocusedAsync();
        await page.Keyboard.TypeAsync("Ana Silva");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("412");
        await page.Keyboard.PressAsync("Tab");
        await page.Keyboard.TypeAsync("2025550199");
        await taps.TapTestIdAsync("consent-yes");
        await taps.TapTestIdAsync("person-hk1");
        await Assertions.Expect(page.GetByTestId("owner-note")).ToContainTextAsync("You (Dana Whitfield) own this promise until Maria Lopez accepts it.");
        var before = DateTimeOffset.UtcNow;
        await taps.TapTestIdAsync("submit");

        var made = page.GetByTestId("made");
        await made.WaitForAsync();
        taps.Count.ShouldBeLessThanOrEqualTo(6);
        await taps.ShouldBeInViewAsync(made);
        var confirmation = (await made.TextContentAsync()).ShouldNotBeNull();
        var rows = await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open));
        var row = rows.ShouldHaveSingleItem();
        confirmation.ShouldContain("Promised: Extra towels for Ana Silva (room 412), due");
        confirmation.ShouldContain($"Code {row.ReplyCode}.");
        confirmation.ShouldContain("You (Dana Whitfield) own it until Maria Lopez accepts it.");
        confirmation.ShouldContain("Ana Silva will be texted at");
        await page.ShouldBeAccessibleAsync();

        row.What.ShouldBe("Extra towels");
        row.CustomerName.ShouldBe("Ana Silva");
        row.Room.ShouldBe("412");
        row.Owner.ShouldBe("desk1");
        row.HandoffTo.ShouldBe("hk1");
        // The request type's lead time: 20 minutes from the tap on submit.
        row.DueAt.ShouldBeInRange(before.AddMinutes(20).AddSeconds(-5), DateTimeOffset.UtcNow.AddMinutes(20).AddSeconds(5));
    }

    [Fact]
    public async Task AMobileAsksWhetherTheGuestAgreesToTextsAndTheConfirmationSaysTheOutcome()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "desk1", "1111");

        await page.GetByTestId("type-taxi").ClickAsync();
        await page.Locator("#customer-name").FillAsync("Ana Silva");
        await page.Locator("#customer-mobile").FillAsync("2025550199");
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByText("Texts to the guest: choose whether they agree.").WaitForAsync();
        (await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldBeEmpty();

        await page.GetByTestId("consent-no").ClickAsync();
        await page.GetByTestId("submit").ClickAsync();

        (await page.GetByTestId("made").TextContentAsync()).ShouldNotBeNull().ShouldContain("Ana Silva will not be texted (no agreement to texts).");
    }

    [Fact]
    public async Task SomeoneWithOffersWaitingLandsOnMyPromises()
    {
        var site = await browser.App.NewSiteAsync();
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, Guid.NewGuid()));
        await grain.Create(global::Commitments.Grains.Common.Actor.Staff("desk1"), new NewCommitment("Extra towels", new CustomerInput("Ana", null, "412", false, null),
            DateTimeOffset.UtcNow.AddHours(1).ToString("O"), "hk1", null));
        var page = await browser.NewDeviceAsync();

        await page.OpenAsync("/signin");
        await page.Locator("#signin-site").FillAsync(site);
        await page.Locator("#signin-staff").FillAsync("hk1");
        await page.TypePinAsync("2222");
        await page.GetByTestId("signin-submit").ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/mine");
        await page.GetByTestId("offered").First.WaitForAsync();
    }

    [Fact]
    public async Task AnEmptyFormSaysEverythingMissingAtOnceInOneVoice()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");

        await page.GetByTestId("submit").ClickAsync();

        await page.GetByText("What was promised is needed", new() { Exact = false }).WaitForAsync();
        await page.GetByText("Customer name is needed.").WaitForAsync();
        await page.GetByText("A time is needed", new() { Exact = false }).WaitForAsync();
        await page.ShouldBeAccessibleAsync();
    }

    [Fact]
    public async Task ARequestTypesDeadlineTakesItsPlaceAmongTheChipsAndIsMarked()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");

        await page.GetByTestId("type-extra-towels").ClickAsync();

        var chips = await page.Locator("[data-testid^='due-m']").EvaluateAllAsync<string[]>("els => els.map(e => e.dataset.testid)");
        chips.ShouldBe(["due-m15", "due-m20", "due-m30", "due-m60", "due-m120"]);
        await Assertions.Expect(page.GetByTestId("due-m20")).ToHaveAttributeAsync("aria-pressed", "true");
        (await page.GetByTestId("person-me").TextContentAsync()).ShouldNotBeNull().ShouldContain("Dana Whitfield keeps it");
        // One clock: the site's time as the texts write it, the zone by its name.
        (await page.GetByTestId("due-text").TextContentAsync()).ShouldNotBeNull().ShouldMatch(@"^Due (tomorrow )?\d{1,2}:\d{2} (am|pm)$");
        await page.GetByText("Or pick a time (New York time)").WaitForAsync();
    }

    [Fact]
    public async Task BadInputIsSaidNextToItsFieldAndMakesNothing()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");

        await page.Locator("#customer-name").FillAsync("Ana Silva");
        await page.Locator("#customer-mobile").FillAsync("12");
        await page.GetByTestId("submit").ClickAsync();
        // Nothing chosen for what and when: said before anything is sent.
        await page.GetByText("What was promised is needed", new() { Exact = false }).WaitForAsync();
        await page.GetByText("A time is needed", new() { Exact = false }).WaitForAsync();

        await page.GetByTestId("type-taxi").ClickAsync();
        await page.GetByTestId("consent-yes").ClickAsync();
        await page.GetByTestId("submit").ClickAsync();
        // The number is the grain's to judge, and its words show under the field.
        await page.GetByText("Is not a valid phone number", new() { Exact = false }).WaitForAsync();
        await page.ShouldBeAccessibleAsync();

        (await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldBeEmpty();
    }

    [Fact]
    public async Task TheMobileIsFormattedForTheSiteRegionWhenTheFieldIsLeft()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");

        await page.Locator("#customer-mobile").PressSequentiallyAsync("2025550199");
        await page.Locator("#customer-mobile").PressAsync("Tab");
        await Assertions.Expect(page.Locator("#customer-mobile")).ToHaveValueAsync("(202) 555-0199");
    }

    [Fact]
    public async Task AHandoffOfferedOnOneTabletAppearsLiveOnTheOtherAndIsAccepted()
    {
        var site = await browser.App.NewSiteAsync();
        var maria = await browser.NewDeviceAsync(1024, 768);
        await maria.SignInAsync(site, "hk1", "2222", "/mine");
        (await maria.GetByTestId("offered").CountAsync()).ShouldBe(0);

        var desk = await browser.NewDeviceAsync();
        await desk.SignInAsync(site, "desk1", "1111");
        await desk.GetByTestId("type-extra-towels").ClickAsync();
        await desk.Locator("#customer-name").FillAsync("Ana Silva");
        await desk.Locator("#customer-room").FillAsync("412");
        await desk.GetByTestId("person-hk1").ClickAsync();
        await desk.GetByTestId("submit").ClickAsync();
        await desk.GetByTestId("made").WaitForAsync();

        // Maria's screen was open all along: the offer is pushed to it, no reload.
        var offers = maria.GetByTestId("offered");
        await offers.WaitForAsync();
        await maria.ShouldBeAccessibleAsync();
        await maria.ScreenshotAsync("my-promises");
        await offers.GetByTestId("accept").ClickAsync();
        await maria.GetByTestId("owned").GetByText("Extra towels").WaitForAsync();
        await Assertions.Expect(maria.GetByTestId("offered")).ToHaveCountAsync(0);

        var row = (await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldHaveSingleItem();
        row.Owner.ShouldBe("hk1");
        row.HandoffTo.ShouldBeNull();
    }

    [Fact]
    public async Task ADeclineNeedsAReasonAndTheOwnerKeepsThePromise()
    {
        var site = await browser.App.NewSiteAsync();
        var desk = await browser.NewDeviceAsync();
        await desk.SignInAsync(site, "desk1", "1111");
        await desk.GetByTestId("type-repair-in-room").ClickAsync();
        await desk.Locator("#customer-name").FillAsync("Li Wei");
        await desk.Locator("#customer-room").FillAsync("210");
        await desk.GetByTestId("person-eng1").ClickAsync();
        await desk.GetByTestId("submit").ClickAsync();
        await desk.GetByTestId("made").WaitForAsync();

        var tom = await browser.NewDeviceAsync();
        await tom.SignInAsync(site, "eng1", "3333", "/mine");
        await tom.GetByTestId("offered").GetByTestId("decline").ClickAsync();
        await tom.GetByTestId("confirm-decline").ClickAsync();
        await tom.GetByText("Is required", new() { Exact = false }).WaitForAsync();

        await tom.GetByLabel("Why can't you take it?").FillAsync("No parts until Monday");
        await tom.GetByTestId("confirm-decline").ClickAsync();
        await tom.GetByTestId("mine-message").WaitForAsync();
        await Assertions.Expect(tom.GetByTestId("offered")).ToHaveCountAsync(0);

        var row = (await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldHaveSingleItem();
        row.Owner.ShouldBe("desk1");
        row.HandoffTo.ShouldBeNull();
    }

    [Fact]
    public async Task ADoubleTapOnSubmitMakesOnePromise()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");
        await page.GetByTestId("type-taxi").ClickAsync();
        await page.Locator("#customer-name").FillAsync("Ana Silva");
        await page.Locator("#customer-room").FillAsync("412");

        await page.GetByTestId("submit").DblClickAsync();
        await page.GetByTestId("made").WaitForAsync();

        (await browser.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldHaveSingleItem();
    }
}
