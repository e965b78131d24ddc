namespace Commitments.Grains.Index;

/// <summary>Which of a site index's records holds a promise: a hash keyed with the site's secret, computed once per promise.</summary>
internal sealed class IndexShardOf(byte[] key, int shards)
{
    private readonly Dictionary<Guid, int> _known = [];

    /// <summary>The site's secret shard key (see SiteIndexState.ShardKey).</summary>
    public byte[] Key => key;

    public int this[Guid id]
    {
        get
        {
            if (_known.TryGetValue(id, out var shard))
            {
                return shard;
            }

            Span<byte> bytes = stackalloc byte[16];
            id.TryWriteBytes(bytes);
            Span<byte> mac = stackalloc byte[32];
            System.Security.Cryptography.HMACSHA256.HashData(key, bytes, mac);
            shard = (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(mac) % shards);
            _known[id] = shard;
            return shard;
        }
    }

    public void Forget(Guid id) => _known.Remove(id);
}
