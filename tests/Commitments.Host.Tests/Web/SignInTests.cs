using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class SignInTests(BrowserFixture browser)
{
    [Fact]
    public async Task APageNeedingAPersonSendsANewDeviceToSignInThenBackWhereItWas()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();

        await page.GotoAsync("/mine");
        new Uri(page.Url).AbsolutePath.ShouldBe("/signin");
        await page.WaitForInteractiveAsync();
        // A device nobody signed in on shows no names.
        (await page.GetByTestId("person-desk1").CountAsync()).ShouldBe(0);
        await page.ShouldBeAccessibleAsync();

        await page.Locator("#signin-site").FillAsync(site);
        await page.Locator("#signin-staff").FillAsync("hk1");
        await page.TypePinAsync("2222");
        await page.GetByTestId("signin-submit").ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/mine");
        await page.WaitForInteractiveAsync();
        (await page.GetByTestId("signed-in-as").TextContentAsync()).ShouldBe("Maria Lopez");
    }

    [Fact]
    public async Task AWrongPinIsSaidInWordsAndSignsNobodyIn()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.OpenAsync("/signin");

        await page.Locator("#signin-site").FillAsync(site);
        await page.Locator("#signin-staff").FillAsync("hk1");
        await page.TypePinAsync("9999");
        await page.GetByTestId("signin-submit").ClickAsync();

        var error = page.GetByTestId("signin-error");
        await error.WaitForAsync();
        (await error.TextContentAsync()).ShouldNotBeNull().ShouldContain("do not match");
        new Uri(page.Url).AbsolutePath.ShouldBe("/signin");
        (await page.Context.CookiesAsync()).ShouldNotContain(c => c.Name == "commitments.auth");
    }

    [Fact]
    public async Task OnAnEnrolledTabletSwitchingPersonIsATapOnANameAndAPin()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "desk1", "1111");

        await page.GetByRole(AriaRole.Button, new() { Name = "Switch person" }).ClickAsync();

        // Signing out also ends the page's sign-in on the server, which may send it to /signin a second time and abort the
        // first navigation: wait for where it lands, not for one navigation.
        await page.WaitForFunctionAsync("() => location.pathname === '/signin' && document.readyState === 'complete'");
        await page.WaitForInteractiveAsync();

        // The device remembers its site: the site's people, by team, one tap each.
        await page.GetByTestId("person-hk2").ClickAsync();
        await page.TypePinAsync("2223");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("signin-pin");
        await page.GetByTestId("signin-submit").ClickAsync();

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/");
        await page.WaitForInteractiveAsync();
        (await page.GetByTestId("signed-in-as").TextContentAsync()).ShouldBe("Sam Okafor");
    }

    [Fact]
    public async Task AnOpenPageOfADeactivatedPersonClosesAtOnce()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "hk1", "2222", "/mine");

        // A manager deactivates them while their page is open: the site tells the page, which signs out.
        await browser.App.Grains.GetGrain<Grains.Sites.ISiteGrain>(site).DeactivateStaff(Grains.Common.Actor.Staff("mgr1"), "hk1");

        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == "/signin", new() { Timeout = 20_000 });
        await page.WaitForInteractiveAsync();
        (await page.Context.CookiesAsync()).ShouldNotContain(c => c.Name == "commitments.auth");
    }
}
