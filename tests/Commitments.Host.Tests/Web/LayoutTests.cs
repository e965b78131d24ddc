using Commitments.Grains.Commitments;
using Commitments.Grains.Common;

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
        var id = Guid.NewGuid();
        await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Create(Actor.Staff("mgr1"), new NewCommitment(
            "Repair the reading lamp", new CustomerInput("Li Wei", null, "210", false, null),
            DateTimeOffset.UtcNow.AddMinutes(45).ToString("O", System.Globalization.CultureInfo.InvariantCulture), "eng1", null));

        var page = await browser.NewDeviceAsync(width, height);
        await page.SignInAsync(site, "mgr1", "9999");
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
