using Commitments.Grains.Sites;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class AdminTests(BrowserFixture browser)
{
    [Fact]
    public async Task AManagerAddsAPersonWhoCanThenSignIn()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/admin");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("admin");

        await page.Locator("#staff-id").FillAsync("fb1");
        await page.Locator("#staff-name").FillAsync("Noor Haddad");
        await page.Locator("#staff-mobile").FillAsync("(202) 555-0177");
        await page.Locator("#staff-pin").FillAsync("4444");
        await page.GetByTestId("save-staff").ClickAsync();
        // No team picked: the grain says so, under the field.
        await page.GetByText("Must be one of the site's teams", new() { Exact = false }).WaitForAsync();
        (await browser.App.Grains.GetGrain<ISiteGrain>(site).GetStaff("fb1")).ShouldBeNull();

        await page.GetByLabel("Team").First.ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "Food & Beverage" }).ClickAsync();
        await page.GetByTestId("save-staff").ClickAsync();
        await page.GetByText("Noor Haddad can sign in now.", new() { Exact = false }).WaitForAsync();

        // A mobile typed here is not trusted until the phone answers its code.
        var row = page.GetByTestId("staff-table").Locator("tr", new() { HasText = "Noor Haddad" });
        await row.GetByTestId("not-verified").WaitForAsync();
        await page.ShouldBeAccessibleAsync();
        await row.GetByTestId("resend-code").ClickAsync();
        (await page.GetByTestId("staff-warning").TextContentAsync())!.ShouldContain("wait a minute before sending another");

        var noor = await browser.NewDeviceAsync();
        await noor.SignInAsync(site, "fb1", "4444", "/mine");
        (await noor.GetByTestId("signed-in-as").TextContentAsync()).ShouldBe("Noor Haddad");
    }

    [Fact]
    public async Task AManagerChangesTheRequestTypesAndTheFrontDeskSeesThem()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync(1024, 768);
        await page.SignInAsync(site, "mgr1", "999999", "/admin");
        await page.GetByTestId("admin-request-types").ClickAsync();

        // The site's list (the five defaults) is on screen before a row is added to it.
        var rows = page.Locator("[data-testid^=request-type-]");
        await Assertions.Expect(rows).ToHaveCountAsync(5);
        await page.GetByRole(AriaRole.Button, new() { Name = "Add a type" }).ClickAsync();
        await Assertions.Expect(rows).ToHaveCountAsync(6);
        const int last = 5;
        await page.Locator($"#rt-id-{last}").FillAsync("Iron Board");
        await page.Locator($"#rt-label-{last}").FillAsync("Ironing board");
        await page.GetByTestId("save-request-types").ClickAsync();
        await page.GetByTestId($"request-type-{last}").GetByText("Must be a slug", new() { Exact = false }).WaitForAsync();

        await page.Locator($"#rt-id-{last}").FillAsync("ironing-board");
        await page.GetByTestId("save-request-types").ClickAsync();
        await page.GetByText("Saved. The front desk sees", new() { Exact = false }).WaitForAsync();

        var desk = await browser.NewDeviceAsync();
        await desk.SignInAsync(site, "desk1", "1111");
        await desk.GetByTestId("type-ironing-board").WaitForAsync();
    }

    [Fact]
    public async Task EverySectionOfAdministrationPassesAxe()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "mgr1", "999999", "/admin");
        foreach (var (section, shows) in new[] { ("request-types", "#rt-id-0"), ("policy", "#p-remind"), ("site", "#site-name"), ("staff", "#staff-id") })
        {
            await page.GetByTestId($"admin-{section}").ClickAsync();
            await page.Locator(shows).WaitForAsync();
            await page.ShouldBeAccessibleAsync();
        }
    }

    [Fact]
    public async Task ABadPolicyIsSaidNextToItsFieldAndNotSaved()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        await page.SignInAsync(site, "mgr1", "999999", "/admin");
        await page.GetByTestId("admin-policy").ClickAsync();
        await page.Locator("#p-max").FillAsync("99");
        await page.GetByTestId("save-policy").ClickAsync();
        await page.GetByText("Must be 0–20", new() { Exact = false }).WaitForAsync();
        (await browser.App.Grains.GetGrain<ISiteGrain>(site).GetPolicy("front-desk")).MaxRepeats.ShouldBe(3);
    }
}
