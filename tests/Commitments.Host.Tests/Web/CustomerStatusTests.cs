using System.Text.RegularExpressions;
using Commitments.Grains.Commitments;
using Commitments.Grains.Common;
using Commitments.Host.Tests.Texts;
using Microsoft.Playwright;

namespace Commitments.Host.Tests.Web;

[Collection(BrowserCollection.Name)]
public sealed partial class CustomerStatusTests(BrowserFixture browser)
{
    [GeneratedRegex(@"https?://\S+/s/\S+")]
    private static partial Regex Link();

    private async Task<(string Site, Guid Id, string Link)> PromiseWithLinkAsync()
    {
        var site = await browser.App.NewSiteAsync();
        var id = Guid.NewGuid();
        var guest = TextingApp.NewMobile();
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
        await grain.Create(Actor.Staff("desk1"), new NewCommitment(
            "Extra towels", new CustomerInput("Ana Silva", guest, "412", true, null),
            DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture), null, null));
        await grain.AddNote(Actor.Staff("desk1"), "Guest is allergic to feather pillows");

        // The link comes from the customer's first text, as the customer gets it.
        var texts = await TextingApp.EventuallyAsync(() => browser.Host.SentToAsync(guest), t => t.Count > 0, "the customer's first text");
        var body = texts[0].GetProperty("body").GetString()!;
        var link = Link().Match(body);
        link.Success.ShouldBeTrue(body);
        return (site, id, link.Value);
    }

    [Fact]
    public async Task AReopenedPromiseKeepsItsOriginalTimeAndTheReopeningIsItsOwnLineInSiteTime()
    {
        var (site, id, link) = await PromiseWithLinkAsync();
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
        var promised = (await grain.Get())!.DueAt;
        await grain.Complete(Actor.Staff("desk1"), null);
        await grain.CustomerReplied("NOT DONE");
        var reopened = (await grain.Get())!.DueAt;
        var info = (await browser.App.Grains.GetGrain<Grains.Sites.ISiteGrain>(site).GetInfo())!;
        var page = await browser.NewDeviceAsync(390, 844);

        await page.OpenAsync(new Uri(link).PathAndQuery);

        var history = (await page.GetByTestId("status-history").TextContentAsync()).ShouldNotBeNull();
        history.ShouldContain($"We promised it, by {Shared(info, promised)}.");
        history.ShouldContain($"You told us it was not done, so we reopened it, now by {Shared(info, reopened)}.");
        // One clock, named: "Mon Dec 7, 2:01 pm New York time".
        history.ShouldContain("New York time");
        await page.ShouldBeAccessibleAsync();

        static string Shared(Grains.Sites.SiteInfo info, DateTimeOffset at) =>
            $"{Host.Web.Shared.SiteClock.DateAndTime(info, at)} {Host.Web.Shared.SiteClock.ZoneName(info.TimeZone)}";
    }

    [Fact]
    public async Task TheLinkInTheFirstTextOpensTheStatusPageWithoutSignInAndShowsNothingInternal()
    {
        var (_, _, link) = await PromiseWithLinkAsync();
        var page = await browser.NewDeviceAsync(390, 844);
        await page.OpenAsync(new Uri(link).PathAndQuery);

        (await page.GetByRole(AriaRole.Heading, new() { Level = 1 }).TextContentAsync()).ShouldBe("Extra towels");
        (await page.GetByTestId("status-owner").TextContentAsync()).ShouldBe("Dana, Front Desk");
        var content = await page.ContentAsync();
        content.ShouldNotContain("feather");
        content.ShouldNotContain("Whitfield");
        content.ShouldNotContain("555");
        await page.ShouldBeAccessibleAsync();
        await page.ScreenshotAsync("customer-status");
    }

    [Fact]
    public async Task AMessageFromThePageIsRecordedLikeATextReply()
    {
        var (site, id, link) = await PromiseWithLinkAsync();
        var page = await browser.NewDeviceAsync(390, 844);
        await page.OpenAsync(new Uri(link).PathAndQuery);

        await page.Locator("#customer-message").FillAsync("Could you bring two more pillows too?");
        await page.GetByTestId("send-message").ClickAsync();
        await page.GetByTestId("message-sent").WaitForAsync();
        await page.GetByTestId("status-history").GetByText("You wrote to us.").WaitForAsync();

        var view = await browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id)).Get();
        view.ShouldNotBeNull().History.ShouldContain(e => e.Type == EventTypes.CustomerReplied && e.Details["text"] == "Could you bring two more pillows too?");
    }

    [Fact]
    public async Task ThePageTakesFiveMessagesAnHourWhateverItsReloads()
    {
        var (site, id, link) = await PromiseWithLinkAsync();
        var grain = browser.App.Grains.GetGrain<ICommitmentGrain>(CommitmentKey.For(site, id));
        // Four sent in earlier visits: a reload gives no fresh allowance.
        for (var i = 0; i < Grains.Commitments.PromiseCaps.StatusPageMessagesPerHour - 1; i++)
        {
            await grain.CustomerReplied($"Earlier message {i}", viaStatusPage: true);
        }

        var page = await browser.NewDeviceAsync(390, 844);
        await page.OpenAsync(new Uri(link).PathAndQuery);
        await page.Locator("#customer-message").FillAsync("The fifth");
        await page.GetByTestId("send-message").ClickAsync();
        await page.GetByTestId("message-sent").WaitForAsync();

        await page.Locator("#customer-message").FillAsync("The sixth");
        await page.GetByTestId("send-message").ClickAsync();
        await page.GetByText("Write again in an hour", new() { Exact = false }).WaitForAsync();
        (await grain.Get()).ShouldNotBeNull().History.ShouldNotContain(e => e.Type == EventTypes.CustomerReplied && e.Details["text"] == "The sixth");
    }

    [Fact]
    public async Task AnAlteredLinkShowsNothing()
    {
        var (_, _, link) = await PromiseWithLinkAsync();
        var path = new Uri(link).AbsolutePath;
        var tampered = path[..^2] + (path[^2] == 'A' ? "B" : "A") + path[^1];
        var page = await browser.NewDeviceAsync(390, 844);
        await page.OpenAsync(tampered);

        await page.GetByTestId("status-invalid").WaitForAsync();
        (await page.ContentAsync()).ShouldNotContain("Extra towels");
    }
}
