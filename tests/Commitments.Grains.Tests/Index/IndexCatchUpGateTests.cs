using Commitments.Grains.Index;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commitments.Grains.Tests.Index;

public sealed class IndexCatchUpGateTests
{
    private static readonly IOptions<SiteIndexOptions> TwoAtOnce = Options.Create(new SiteIndexOptions { ConcurrentCatchUps = 2 });

    [Fact]
    public async Task NoMoreCatchUpsRunAtOnceThanConfiguredAndAFinishedOneLetsTheNextIn()
    {
        var gate = new IndexCatchUpGate(TwoAtOnce, new FakeTimeProvider());
        gate.Open();
        var first = await gate.EnterAsync(TestContext.Current.CancellationToken);
        using var second = await gate.EnterAsync(TestContext.Current.CancellationToken);

        var third = gate.EnterAsync(TestContext.Current.CancellationToken);
        third.IsCompleted.ShouldBeFalse("two are catching up");

        first.Dispose();
        first.Dispose();
        using var entered = await third;
        gate.EnterAsync(TestContext.Current.CancellationToken).IsCompleted.ShouldBeFalse("a slot given back twice counts once");
    }

    [Fact]
    public async Task CatchUpsWaitForTheStartsUrgentStepsButNotLongerThanTheHold()
    {
        var time = new FakeTimeProvider();
        var opened = new IndexCatchUpGate(TwoAtOnce, time);
        var waiting = opened.EnterAsync(TestContext.Current.CancellationToken);
        waiting.IsCompleted.ShouldBeFalse("the start's urgent steps go first");
        opened.Open();
        (await waiting).Dispose();

        var neverOpened = new IndexCatchUpGate(TwoAtOnce, time);
        var held = neverOpened.EnterAsync(TestContext.Current.CancellationToken);
        time.Advance(IndexCatchUpGate.StartupHold - TimeSpan.FromMilliseconds(1));
        held.IsCompleted.ShouldBeFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        (await held).Dispose();
    }
}
