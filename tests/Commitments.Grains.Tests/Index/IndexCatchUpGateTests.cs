using Commitments.Grains.Index;
using Microsoft.Extensions.Options;

namespace Commitments.Grains.Tests.Index;

public sealed class IndexCatchUpGateTests
{
    [Fact]
    public async Task NoMoreCatchUpsRunAtOnceThanConfiguredAndAFinishedOneLetsTheNextIn()
    {
        var gate = new IndexCatchUpGate(Options.Create(new SiteIndexOptions { ConcurrentCatchUps = 2 }));
        var first = await gate.EnterAsync(TestContext.Current.CancellationToken);
        using var second = await gate.EnterAsync(TestContext.Current.CancellationToken);

        var third = gate.EnterAsync(TestContext.Current.CancellationToken);
        third.IsCompleted.ShouldBeFalse("two are catching up");

        first.Dispose();
        first.Dispose();
        using var entered = await third;
        gate.EnterAsync(TestContext.Current.CancellationToken).IsCompleted.ShouldBeFalse("a slot given back twice counts once");
    }
}
