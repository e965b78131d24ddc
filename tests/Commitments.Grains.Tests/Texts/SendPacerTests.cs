using Commitments.Grains.Texts;
using Microsoft.Extensions.Time.Testing;

namespace Commitments.Grains.Tests.Texts;

/// <summary>The sender's pace, as the one grain per sender hands it to every dispatcher of the cluster.</summary>
public sealed class SendPacerTests
{
    private static readonly TimeSpan Slot = TimeSpan.FromSeconds(1 / SendPacer.Margin);

    [Fact]
    public void SlotsFollowOneAnotherAtTheRateWhoeverAsks()
    {
        var pacer = new SendPacer(new FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));

        var waits = Enumerable.Range(0, 3).Select(_ => pacer.Reserve(1, 1, TimeSpan.FromMinutes(1))).ToList();

        waits.ShouldBe([TimeSpan.Zero, Slot, Slot * 2]);
    }

    [Fact]
    public void ATurnLaterThanTheCallerCanUseIsNotTakenAndStaysFreeForTheNext()
    {
        var pacer = new SendPacer(new FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture)));
        pacer.Reserve(1, 1, TimeSpan.FromMinutes(1));
        pacer.Reserve(1, 1, TimeSpan.FromMinutes(1));

        pacer.Reserve(1, 1, TimeSpan.FromSeconds(1.5)).ShouldBeNull();
        pacer.Reserve(1, 1, TimeSpan.FromMinutes(1)).ShouldBe(Slot * 2);
    }

    [Fact]
    public void APauseForAFullQueueHoldsEveryLaterSlot()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-06T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var pacer = new SendPacer(time);

        pacer.Pause(TimeSpan.FromSeconds(30));

        pacer.Reserve(1, 1, TimeSpan.FromMinutes(1)).ShouldBe(TimeSpan.FromSeconds(30));
    }
}
