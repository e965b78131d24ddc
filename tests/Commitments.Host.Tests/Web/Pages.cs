using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

/// <summary>What the browser tests do on a page: wait for it to be live, tap (counted), check accessibility.</summary>
public static class Pages
{
    /// <summary>Goes to <paramref name="path"/> and waits until the page is interactive (taps before that do nothing).</summary>
    public static async Task OpenAsync(this IPage page, string path)
    {
        await page.GotoAsync(path);
        await page.WaitForInteractiveAsync();
    }

    public static Task WaitForInteractiveAsync(this IPage page) =>
        page.GetByTestId("interactive").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    /// <summary>Signs in through the page, as a person on a device that has never been signed in.</summary>
    public static async Task SignInAsync(this IPage page, string site, string staff, string pin, string path = "/")
    {
        await page.OpenAsync($"/signin?ReturnUrl={Uri.EscapeDataString(path)}");
        await page.Locator("#signin-site").FillAsync(site);
        await page.Locator("#signin-staff").FillAsync(staff);
        await page.TypePinAsync(pin);
        await page.GetByTestId("signin-submit").ClickAsync();
        await page.WaitForURLAsync(url => new Uri(url).AbsolutePath == path.Split('?')[0], new() { WaitUntil = WaitUntilState.Commit });
        await page.WaitForInteractiveAsync();
    }

    public static async Task TypePinAsync(this IPage page, string pin)
    {
        foreach (var digit in pin)
        {
            await page.GetByRole(AriaRole.Button, new() { Name = $"Digit {digit}", Exact = true }).ClickAsync();
        }
    }

    /// <summary>No serious or critical accessibility violation on the page as it is now.</summary>
    public static async Task ShouldBeAccessibleAsync(this IPage page)
    {
        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        bad.ShouldBeEmpty(string.Join("\n", bad.Select(v =>
            $"{v.Impact} {v.Id}: {v.Help} — {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Target?.ToString() + " " + n.Html))}")));
    }

    public static Task ScreenshotAsync(this IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, name + ".png"), FullPage = true });
}

/// <summary>Counts taps, for the tap budget of making a promise; with <see cref="InViewOnly"/>, each target must be on screen without scrolling.</summary>
public sealed class Taps(IPage page)
{
    public int Count { get; private set; }

    public bool InViewOnly { get; init; }

    public async Task TapAsync(ILocator target)
    {
        Count++;
        if (InViewOnly)
        {
            await ShouldBeInViewAsync(target);
        }

        await target.ClickAsync();
    }

    /// <summary>Wholly inside the viewport as the page stands (not scrolled there).</summary>
    public async Task ShouldBeInViewAsync(ILocator target)
    {
        await target.WaitForAsync();
        (await page.EvaluateAsync<double>("window.scrollY")).ShouldBe(0, "the page was scrolled");
        var box = (await target.BoundingBoxAsync()).ShouldNotBeNull();
        var viewport = page.ViewportSize.ShouldNotBeNull();
        box.Y.ShouldBeGreaterThanOrEqualTo(0);
        (box.Y + box.Height).ShouldBeLessThanOrEqualTo(viewport.Height, $"{target} ends below the screen");
    }

    public Task TapTestIdAsync(string testId) => TapAsync(page.GetByTestId(testId));
}
