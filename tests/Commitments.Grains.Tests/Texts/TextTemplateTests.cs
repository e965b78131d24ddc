using Commitments.Grains.Commitments;
using Commitments.Grains.Handoffs;
using Commitments.Grains.Sites;
using Commitments.Grains.Texts;
using Commitments.Twilio;

namespace Commitments.Grains.Tests.Texts;

public sealed class TextTemplateTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 2, 15, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string> KindsAndLanguages()
    {
        var data = new TheoryData<string, string>();
        // A promise's texts; the site's own (a staff phone's code) is checked in StaffPhoneTests.
        foreach (var kind in typeof(TextKinds).GetFields().Select(f => (string)f.GetValue(null)!).Where(k => k != TextKinds.StaffVerify))
        {
            foreach (var language in TextTemplates.Languages)
            {
                data.Add(kind, language);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(KindsAndLanguages))]
    public void EveryDefaultTextFitsInTwoSegmentsWithTheLongestNames(string kind, string language)
    {
        var longName = new string('N', 100);
        var site = new SiteInfo("s", "The Grand " + new string('H', 90), "America/New_York", "US", [new TeamInfo("hk", new string('T', 100))]);
        var staff = new[] { "desk1", "hk1", "mgr1" }.ToDictionary(id => id, id => new StaffInfo(id, longName, "+12025550141", Roles.Staff, "hk", true));
        var state = new CommitmentState
        {
            Id = Guid.NewGuid(),
            Site = "s",
            What = new string('w', 500),
            Customer = new Customer(new string('C', 100), "+12025550199", new string('9', 40), true, language),
            Owner = "hk1",
            PromisedBy = "desk1",
            DueAt = Now.AddDays(3),
            ReplyCode = "K7",
            PendingHandoff = new PendingHandoff("hk1", "desk1", new string('n', 500), Now),
        };
        var text = new OutboundText
        {
            Kind = kind,
            Language = language,
            Values = new()
            {
                ["actor"] = TextTemplates.Name(longName),
                ["from"] = TextTemplates.Name(longName),
                ["recipient"] = TextTemplates.Name(longName),
                ["reason"] = new string('r', 500),
                ["reply"] = new string('p', 1000),
                ["note"] = TextTemplates.Raw("Note", language).Replace("{note}", new string('n', 500)),
            },
        };

        var body = TextPlanner.Render(text, state, site, staff, Now);

        var count = SmsSegments.Count(body, smartEncode: true);
        count.Segments.ShouldBeLessThanOrEqualTo(2, body);
        body.Length.ShouldBeLessThanOrEqualTo(SmsSegments.MaxBodyLength);
    }

    [Fact]
    public void TheLanguagePicksTheTemplatesElseTheSiteDefaultElseEnglish()
    {
        TextTemplates.Pick("es-MX").ShouldBe("es");
        TextTemplates.Pick("fr", "es").ShouldBe("es");
        TextTemplates.Pick(null).ShouldBe("en");
    }

    [Theory]
    [InlineData(15, 30, "en", "3:30 pm")]
    [InlineData(24 + 9, 0, "en", "tomorrow 9:00 am")]
    [InlineData(15, 30, "es", "hoy a las 15:30")]
    [InlineData(24 + 9, 0, "es", "mañana a las 9:00")]
    public void TimesAreWrittenInTheSitesClock(int hours, int minutes, string language, string expected)
    {
        var zone = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
        var localMidnight = new DateTimeOffset(2026, 3, 2, 0, 0, 0, zone.GetUtcOffset(new DateTime(2026, 3, 2)));
        var now = localMidnight.AddHours(10);

        TextTemplates.When(localMidnight.AddHours(hours).AddMinutes(minutes), now, zone, language).ShouldBe(expected);
    }

    [Fact]
    public void QuietHoursHoldATextUntilEightInTheMorningSiteTime()
    {
        var site = new SiteInfo("s", "Hotel", "America/New_York", "US", []);
        var lateEvening = new DateTimeOffset(2026, 3, 2, 23, 15, 0, TimeSpan.FromHours(-5));

        TextPlanner.AfterQuietHours(lateEvening, site).ShouldBe(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.FromHours(-5)));
        TextPlanner.AfterQuietHours(lateEvening.AddHours(3), site).ShouldBe(new DateTimeOffset(2026, 3, 3, 8, 0, 0, TimeSpan.FromHours(-5)));
        TextPlanner.AfterQuietHours(lateEvening.AddHours(-4), site).ShouldBe(lateEvening.AddHours(-4));
    }

    [Fact]
    public void ASitesOwnQuietHoursAreKeptAndEqualTimesMeanNone()
    {
        var site = new SiteInfo("s", "Hotel", "America/New_York", "US", [], QuietFrom: new TimeOnly(13, 0), QuietUntil: new TimeOnly(15, 0));
        var afternoon = new DateTimeOffset(2026, 3, 2, 14, 0, 0, TimeSpan.FromHours(-5));

        TextPlanner.AfterQuietHours(afternoon, site).ShouldBe(new DateTimeOffset(2026, 3, 2, 15, 0, 0, TimeSpan.FromHours(-5)));
        TextPlanner.AfterQuietHours(afternoon.AddHours(9), site).ShouldBe(afternoon.AddHours(9));
        TextPlanner.AfterQuietHours(afternoon.AddHours(9), site with { QuietFrom = new TimeOnly(22, 0), QuietUntil = new TimeOnly(22, 0) })
            .ShouldBe(afternoon.AddHours(9));
    }
}
