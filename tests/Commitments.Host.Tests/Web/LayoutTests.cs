namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed class LayoutTests(BrowserFixture browser)
{
    public static TheoryData<int, int> Sizes => new() { { 768, 1024 }, { 1024, 768 }, { 390, 844 } };

    [Theory]
    [MemberData(nameof(Sizes))]
    public async Task EveryPageFitsTheScreenWithoutSidewaysScrollingAndPassesAxe(int width, int height)
    {
        var site = await browser.App.NewSiteAsync();
        var id = await browser.PromiseAsync(site, TimeSpan.FromMinutes(45), by: "mgr1", handoffTo: "eng1", what: "Repair the reading lamp");

        var page = await browser.NewDeviceAsync(width, height);
        await page.SignInAsync(site, "mgr1", "999999");
        foreach (var path in new[] { "/", "/mine", $"/promises/{id:D}", "/queue", "/insights", "/admin" })
        {
            await page.OpenAsync(path);
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            if (overflow > 0)
            {
                await page.ScreenshotAsync($"overflow-{width}{path.Replace('/', '-')}");
            }

            var widest = overflow > 0
                ? await page.EvaluateAsync<string>("() => [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 3).map(e => e.tagName + '.' + e.className).join(' | ')")
                : "";
            overflow.ShouldBeLessThanOrEqualTo(0, $"{path} at {width}×{height} scrolls sideways by {overflow}px: {widest}");
            await page.ShouldBeAccessibleAsync();
            if (width == 768)
            {
                await page.ScreenshotAsync("tablet" + (path == "/" ? "-new-promise" : path.Split('/')[1] is "promises" ? "-record" : path.Replace('/', '-')));
            }
        }
    }
}
