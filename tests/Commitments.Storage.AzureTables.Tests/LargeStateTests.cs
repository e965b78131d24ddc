using Azure.Data.Tables;
using Commitments.Testing;

namespace Commitments.Storage.AzureTables.Tests;

/// <summary>States beyond one 64 KiB property are split over several; past the entity limit nothing is written.</summary>
[Collection(nameof(AzuriteCollection))]
public sealed class LargeStateTests(AzuriteFixture azurite)
{
    private const string StateName = "blob";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AStateExactlyAtTheLimitIsSplitOverPropertiesAndRoundTripsExactly()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = GrainId.Create("blob", "at-the-limit");
        var maxSize = await MaxSizeAsync(store, grainId);
        var blob = BlobOfSerializedSize(store, maxSize, seed: 1);

        // Inserted first, then replaced: Azurite only checks the entity limit on updates.
        var state = new GrainState<Blob> { State = blob };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        state.State = BlobOfSerializedSize(store, maxSize, seed: 2);
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);

        var read = new GrainState<Blob>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.ETag.ShouldBe(state.ETag);
        read.State.ShouldNotBeNull().Bytes.ShouldBe(state.State.Bytes);

        var row = (await store.RawRowAsync(TableKey.From($"test-service/{grainId}"), AzureTableGrainStorage.RowKeyOf(StateName, grainId.ToString()))).ShouldNotBeNull();
        var chunks = DataChunks(row);
        chunks.Count.ShouldBeGreaterThan(10);
        chunks.ShouldAllBe(chunk => chunk.Length <= 64 * 1024);
        chunks.Sum(chunk => chunk.Length).ShouldBe(maxSize);
    }

    [Fact]
    public async Task AStateOneByteOverTheLimitThrowsAndChangesNothing()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = GrainId.Create("blob", "over-the-limit");
        var maxSize = await MaxSizeAsync(store, grainId);
        var state = new GrainState<Blob> { State = new Blob { Bytes = [1, 2, 3] } };
        await store.Storage.WriteStateAsync(StateName, grainId, state, Ct);
        var etag = state.ETag;

        state.State = BlobOfSerializedSize(store, maxSize + 1, seed: 3);
        var exception = await Should.ThrowAsync<GrainStateTooLargeException>(() => store.Storage.WriteStateAsync(StateName, grainId, state, Ct));

        exception.Size.ShouldBe(maxSize + 1);
        exception.MaxSize.ShouldBe(maxSize);
        exception.GrainId.ShouldBe(grainId.ToString());
        exception.StateName.ShouldBe(StateName);
        exception.Message.ShouldContain(grainId.ToString());
        exception.Message.ShouldContain($"{maxSize + 1} bytes");
        state.ETag.ShouldBe(etag);
        var read = new GrainState<Blob>();
        await store.Storage.ReadStateAsync(StateName, grainId, read, Ct);
        read.ETag.ShouldBe(etag);
        read.State.ShouldNotBeNull().Bytes.ShouldBe(new byte[] { 1, 2, 3 });
    }

    [Fact]
    public async Task AStateTooLargeForANewGrainLeavesNoRow()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = GrainId.Create("blob", "never-fits");
        var state = new GrainState<Blob> { State = new Blob { Bytes = new byte[2 * 1024 * 1024] } };

        await Should.ThrowAsync<GrainStateTooLargeException>(() => store.Storage.WriteStateAsync(StateName, grainId, state, Ct));

        state.ETag.ShouldBeNull();
        (await store.RowCountAsync()).ShouldBe(0);
    }

    [Fact]
    public async Task TheLimitLeavesRoomForTheLongestKeys()
    {
        await using var store = await StorageUnderTest.CreateAsync(azurite);
        var grainId = GrainId.Create("blob", new string('Ж', 3000));
        var stateName = new string('s', 3000);
        var tooLarge = new GrainState<Blob> { State = new Blob { Bytes = new byte[2 * 1024 * 1024] } };
        var exception = await Should.ThrowAsync<GrainStateTooLargeException>(() => store.Storage.WriteStateAsync(stateName, grainId, tooLarge, Ct));

        var state = new GrainState<Blob> { State = BlobOfSerializedSize(store, (int)exception.MaxSize, seed: 4) };
        await store.Storage.WriteStateAsync(stateName, grainId, state, Ct);
        await store.Storage.WriteStateAsync(stateName, grainId, state, Ct);

        var read = new GrainState<Blob>();
        await store.Storage.ReadStateAsync(stateName, grainId, read, Ct);
        read.State.ShouldNotBeNull().Bytes.ShouldBe(state.State.Bytes);
    }

    // The provider reports the limit for this grain's keys when a write is too large.
    private static async Task<int> MaxSizeAsync(StorageUnderTest store, GrainId grainId)
    {
        var probe = new GrainState<Blob> { State = new Blob { Bytes = new byte[2 * 1024 * 1024] } };
        var exception = await Should.ThrowAsync<GrainStateTooLargeException>(() => store.Storage.WriteStateAsync(StateName, grainId, probe, Ct));
        exception.MaxSize.ShouldBeGreaterThan(700 * 1024);
        return (int)exception.MaxSize;
    }

    // Random bytes do not compress, so the serialized size is the payload plus a small, measurable header.
    private static Blob BlobOfSerializedSize(StorageUnderTest store, int serializedSize, int seed)
    {
        var random = new Random(seed);
        var payloadSize = serializedSize;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            var blob = new Blob { Bytes = new byte[payloadSize] };
            random.NextBytes(blob.Bytes);
            var size = store.Serializer.Serialize(blob).ToMemory().Length;
            if (size == serializedSize)
            {
                return blob;
            }

            payloadSize -= size - serializedSize;
        }

        throw new InvalidOperationException($"Could not make a blob that serializes to exactly {serializedSize} bytes.");
    }

    private static List<byte[]> DataChunks(TableEntity row)
    {
        var chunks = new List<byte[]>();
        for (var i = 0; row.TryGetValue($"Data{i}", out var value); i++)
        {
            chunks.Add(value.ShouldBeOfType<byte[]>());
        }

        return chunks;
    }
}
