using Commitments.Grains.Common;
using Commitments.Grains.Sites;

namespace Commitments.Grains.Tests.Sites;

[Collection(ClusterCollection.Name)]
public sealed class SiteSettingsTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AManagerChangesTheSitesSettingsAndQuietHours()
    {
        var site = await fixture.NewSiteAsync();

        var info = await site.Site.UpdateSettings(Actor.Staff("mgr1"), new SiteSettingsInput("Harbor Inn", "Europe/Lisbon", "pt", "es", "23:00", "07:30"));

        info.Name.ShouldBe("Harbor Inn");
        info.TimeZone.ShouldBe("Europe/Lisbon");
        info.PhoneRegion.ShouldBe("PT");
        info.Language.ShouldBe("es");
        (info.QuietFrom, info.QuietUntil).ShouldBe((new TimeOnly(23, 0), new TimeOnly(7, 30)));
        (await site.Site.GetInfo()).ShouldBeEquivalentTo(info);
    }

    [Fact]
    public async Task BadSettingsAreNamedAndChangeNothing()
    {
        var site = await fixture.NewSiteAsync();
        var before = await site.Site.GetInfo();

        var ex = await Should.ThrowAsync<RuleViolationException>(() => site.Site.UpdateSettings(Actor.Staff("mgr1"),
            new SiteSettingsInput("", "Mars/Olympus", "XX", "fr", "25:00", "7am")));

        ex.Errors.Keys.Order().ShouldBe(["language", "name", "phoneRegion", "quietFrom", "quietUntil", "timeZone"]);
        (await site.Site.GetInfo()).ShouldBeEquivalentTo(before);
        (await Should.ThrowAsync<RuleViolationException>(() => site.Site.UpdateSettings(Actor.Staff("desk1"), new SiteSettingsInput("X", null, null, null, null, null))))
            .Kind.ShouldBe(RuleKind.Forbidden);
    }
}
