using Commitments.Grains.Common;

namespace Commitments.Grains.Tests.Common;

public sealed class DeadlineTests
{
    private static readonly TimeZoneInfo NewYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void ALocalTimeMeansTheSitesClockAcrossADstChange()
    {
        var v = new Validation();

        // 8 March 2026: New York moves from EST (-5) to EDT (-4).
        var before = Deadline.Parse(v, "dueAt", "2026-03-07T15:30", NewYork, Now);
        var after = Deadline.Parse(v, "dueAt", "2026-03-09T15:30", NewYork, Now);

        v.IsValid.ShouldBeTrue();
        before.ShouldBe(new DateTimeOffset(2026, 3, 7, 20, 30, 0, TimeSpan.Zero));
        after.ShouldBe(new DateTimeOffset(2026, 3, 9, 19, 30, 0, TimeSpan.Zero));
    }

    [Fact]
    public void ATimeTheClocksSkipIsRejected()
    {
        var v = new Validation();

        Deadline.Parse(v, "dueAt", "2026-03-08T02:30", NewYork, Now).ShouldBeNull();

        v.IsValid.ShouldBeFalse();
    }

    [Fact]
    public void AnExplicitOffsetIsAbsolute()
    {
        var v = new Validation();

        Deadline.Parse(v, "dueAt", "2026-03-07T15:30:00+01:00", NewYork, Now)
            .ShouldBe(new DateTimeOffset(2026, 3, 7, 14, 30, 0, TimeSpan.Zero));
        Deadline.Parse(v, "dueAt", "2026-03-07T15:30:00Z", NewYork, Now)
            .ShouldBe(new DateTimeOffset(2026, 3, 7, 15, 30, 0, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("soon")]
    [InlineData("2026-03-07")]
    [InlineData("07/03/2026 15:30")]
    public void AnythingElseIsRejectedWithAnExample(string raw)
    {
        var v = new Validation();

        Deadline.Parse(v, "dueAt", raw, NewYork, Now).ShouldBeNull();

        var ex = Should.Throw<RuleViolationException>(v.ThrowIfInvalid);
        ex.Errors["dueAt"][0].ShouldContain("ISO-8601");
    }
}
