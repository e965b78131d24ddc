namespace Commitments.Grains.Tests.Commitments;

/// <summary>A promise whose record storage keeps refusing is not tried every second by the text sweep.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RefusedWritesTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheOutboxOfAPromiseStorageRefusesBacksOffAndResumes()
    {
        var site = await fixture.NewSiteAsync();
        var (grain, _) = await site.PromiseAsync();
        var id = grain.GetGrainId();
        fixture.Storage.FailNextWrites(id, 1000);

        // A minute of the sweep's one-second wake-ups: the customer's first text is due throughout.
        for (var i = 0; i < 60; i++)
        {
            try
            {
                await grain.BeginDueTexts("dispatcher-1");
            }
            catch (IOException)
            {
                // The refused write.
            }

            fixture.Time.Advance(TimeSpan.FromSeconds(1));
        }

        (1000 - fixture.Storage.FailuresLeft(id)).ShouldBeLessThanOrEqualTo(6, "tried after 1, 2, 4, 8, 16, 32 s, not 60 times");

        // Storage takes writes again: within the longest pause the text goes.
        fixture.Storage.FailNextWrites(id, 0);
        fixture.Time.Advance(TimeSpan.FromMinutes(5));
        (await grain.BeginDueTexts("dispatcher-1")).Send.ShouldNotBeEmpty();
    }
}
