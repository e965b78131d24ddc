using Commitments.Grains.Commitments;
using Commitments.Grains.Index;
using Commitments.Host.Tests.Texts;
using Commitments.Testing;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

/// <summary>The front desk's tablet while storage hangs: the page says so in words, keeps what was typed, and makes the promise once storage is back.</summary>
[Collection(BrowserCollection.Name)]
public sealed class StorageOutagePageTests(BrowserFixture browser)
{
    [Fact]
    public async Task APromiseTypedWhileStorageHangsIsKeptAndMadeWhenItIsBack()
    {
        // Storage of its own, to freeze without touching the other tests.
        var own = new AzuriteFixture();
        await own.InitializeAsync();
        var host = await TextingApp.StartAsync(own, settings: Escalation.EscalationFixture.Settings());
        try
        {
            var site = await host.App.NewSiteAsync();
            var context = await browser.Browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = host.BaseUrl, ViewportSize = new ViewportSize { Width = 768, Height = 1024 } });
            context.SetDefaultTimeout(30_000);
            var page = await context.NewPageAsync();
            await page.SignInAsync(site, "desk1", "1111");
            await page.GetByTestId("type-taxi").ClickAsync();
            await page.Locator("#customer-name").FillAsync("Ana Silva");
            await page.Locator("#customer-room").FillAsync("412");

            own.Freeze();
            try
            {
                await page.GetByTestId("submit").ClickAsync();
                await Assertions.Expect(page.GetByTestId("form-error")).ToContainTextAsync("Storage is not answering", new() { Timeout = 30_000 });
                (await page.Locator("#customer-name").InputValueAsync()).ShouldBe("Ana Silva");
                (await page.Locator("#customer-room").InputValueAsync()).ShouldBe("412");
            }
            finally
            {
                own.Thaw();
            }

            // Back: the same tap makes it, once.
            await TextingApp.EventuallyAsync(async () => (await host.App.CreateClient().GetAsync("/health/ready")).StatusCode,
                s => s == System.Net.HttpStatusCode.OK, "ready again", TimeSpan.FromSeconds(60));
            await page.GetByTestId("submit").ClickAsync();
            await page.GetByTestId("made").WaitForAsync();
            (await host.App.Grains.GetGrain<ISiteIndexGrain>(site).Query(new IndexQuery(CommitmentStatus.Open))).ShouldHaveSingleItem().CustomerName.ShouldBe("Ana Silva");
            await context.DisposeAsync();
        }
        finally
        {
            await host.DisposeAsync();
            await own.DisposeAsync();
        }
    }
}
