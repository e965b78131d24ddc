using Commitments.Grains.Commitments;
using Commitments.Grains.Insights;
using Microsoft.Extensions.DependencyInjection;

namespace Commitments.Grains.Tests.Insights;

[Collection(ClusterCollection.Name)]
public sealed class InsightDayTests(ClusterFixture fixture)
{
    [Fact]
    public void AnEventToldTwiceCountsOnce()
    {
        var state = new InsightDayState();
        var offer = Offered(Guid.NewGuid());

        InsightDayState.Apply(state, [offer], _ => "front-desk");
        InsightDayState.Apply(state, [offer], _ => "front-desk");

        state.Handoffs["front-desk>front-desk"].Offered.ShouldBe(1);
    }

    [Fact]
    public void ABusySitesDayStaysOneSmallRecord()
    {
        // 100,000 promises handed off in one day at one site: every one counted, the record a fraction of storage's 1 MiB.
        var state = new InsightDayState();
        for (var i = 0; i < 100_000; i++)
        {
            InsightDayState.Apply(state, [Offered(Guid.NewGuid())], _ => "front-desk");
        }

        state.Handoffs["front-desk>front-desk"].Offered.ShouldBe(100_000);
        var serializer = fixture.Cluster.Client.ServiceProvider.GetRequiredService<Orleans.Serialization.Serializer>();
        serializer.SerializeToArray(state).Length.ShouldBeLessThan(256 * 1024);

        var latest = Offered(Guid.NewGuid());
        InsightDayState.Apply(state, [latest, latest], _ => "front-desk");
        state.Handoffs["front-desk>front-desk"].Offered.ShouldBe(100_001);
    }

    private static InsightEvent Offered(Guid id) =>
        new(id, 2, EventTypes.HandoffProposed, ClusterFixture.Start, "desk1", ClusterFixture.Start.AddHours(1), "desk1", "hk1");
}
