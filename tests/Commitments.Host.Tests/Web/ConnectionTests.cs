using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class ConnectionTests(BrowserFixture browser)
{
    [Fact]
    public async Task ALostConnectionIsSaidInWordsAndThePageReconnectsKeepingWhatWasTyped()
    {
        var site = await browser.App.NewSiteAsync();
        var page = await browser.NewDeviceAsync();
        IWebSocketRoute? live = null;
        // Every circuit connection goes through the test, so it can cut one.
        await page.RouteWebSocketAsync("**/_blazor**", ws =>
        {
            ws.ConnectToServer();
            live = ws;
        });
        await page.SignInAsync(site, "desk1", "1111");
        await page.Locator("#customer-name").FillAsync("Ana Silva");
        await page.Locator("#customer-room").FillAsync("412");

        await live.ShouldNotBeNull().CloseAsync();
        var banner = page.Locator("#components-reconnect-modal");
        await Assertions.Expect(banner.Locator(".reconnect-show")).ToBeVisibleAsync();
        await Assertions.Expect(banner).ToContainTextAsync("The connection dropped. Reconnecting");
        await Assertions.Expect(banner).ToBeHiddenAsync(new() { Timeout = 20_000 });

        // The same circuit again: what was typed is still there and the page still works.
        await Assertions.Expect(page.Locator("#customer-name")).ToHaveValueAsync("Ana Silva");
        await page.GetByTestId("type-taxi").ClickAsync();
        await page.GetByTestId("submit").ClickAsync();
        await page.GetByTestId("made").WaitForAsync();
    }
}
