using System.Text.Json;
using Azure.Data.Tables;

namespace Commitments.Storage.AzureTables;

/// <summary>The table row one grain state is stored in, and the size rules it must satisfy.</summary>
/// <remarks>
/// Properties: <c>GrainId</c> (in full, as shortened keys cannot be reversed), <c>Cleared</c> (true for a clear's
/// tombstone) and the serialized state in binary <c>Data0</c>, <c>Data1</c>, … of at most 64 KiB each.
/// </remarks>
internal static class StateEntity
{
    public const string GrainIdProperty = "GrainId";
    public const string ClearedProperty = "Cleared";
    public const string DataPropertyPrefix = "Data";

    /// <summary>Azure's limit for one entity, counting keys and every property.</summary>
    public const int MaxEntityBytes = 1024 * 1024;

    /// <summary>Azure's limit for one binary property.</summary>
    public const int MaxBinaryPropertyBytes = 64 * 1024;

    /// <summary>Azure's limit for one string property (64 KiB of UTF-16).</summary>
    public const int MaxStringPropertyChars = 32 * 1024;

    // Azurite checks an update's JSON body against MaxEntityBytes; this absorbs SDK changes to that body's layout.
    private const int JsonBodyReserve = 512;

    public static TableEntity Create(string partitionKey, string rowKey, string grainId, ReadOnlyMemory<byte> data)
    {
        var entity = new TableEntity(partitionKey, rowKey)
        {
            [GrainIdProperty] = grainId,
            [ClearedProperty] = false,
        };

        var index = 0;
        for (var offset = 0; offset < data.Length; offset += MaxBinaryPropertyBytes)
        {
            var chunk = data.Slice(offset, Math.Min(MaxBinaryPropertyBytes, data.Length - offset));
            entity[DataPropertyPrefix + index++] = chunk.ToArray();
        }

        return entity;
    }

    public static TableEntity CreateTombstone(string partitionKey, string rowKey, string grainId) =>
        new(partitionKey, rowKey)
        {
            [GrainIdProperty] = grainId,
            [ClearedProperty] = true,
        };

    public static bool IsTombstone(TableEntity entity) => entity.GetBoolean(ClearedProperty) ?? false;

    public static byte[] ReadData(TableEntity entity)
    {
        var chunks = new List<byte[]>();
        for (var index = 0; entity.TryGetValue(DataPropertyPrefix + index, out var value); index++)
        {
            chunks.Add(value switch
            {
                byte[] bytes => bytes,
                BinaryData binary => binary.ToArray(),
                string base64 => Convert.FromBase64String(base64),
                _ => throw new InvalidDataException(
                    $"Property {DataPropertyPrefix}{index} of a grain state row holds a {value?.GetType().Name ?? "null"}, not binary data."),
            });
        }

        return chunks.Count == 1 ? chunks[0] : [.. chunks.SelectMany(chunk => chunk)];
    }

    /// <summary>The largest serialized state, in bytes, a row with these keys and grain id can hold.</summary>
    /// <remarks>
    /// Checks both Azure's documented entity size and the base64 JSON body Azurite checks on update (stricter for
    /// large states), so the emulator and Azure accept the same states.
    /// </remarks>
    public static int MaxDataBytes(string partitionKey, string rowKey, string grainId)
    {
        var fixedJson = FixedJsonBytes(partitionKey, rowKey, grainId);
        var fixedAzure = FixedAzureBytes(partitionKey, rowKey, grainId);

        // Both sizes grow with the data length, so bisection finds the largest that fits.
        var low = 0;
        var high = MaxEntityBytes;
        while (low < high)
        {
            var middle = low + ((high - low + 1) / 2);
            if (Fits(middle, fixedJson, fixedAzure))
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private static bool Fits(int dataBytes, long fixedJson, long fixedAzure) =>
        fixedJson + DataJsonBytes(dataBytes) <= MaxEntityBytes - JsonBodyReserve
        && fixedAzure + DataAzureBytes(dataBytes) <= MaxEntityBytes;

    // {"PartitionKey":"…","RowKey":"…","GrainId":"…","Cleared":false} without the data properties.
    private static long FixedJsonBytes(string partitionKey, string rowKey, string grainId) =>
        2 // braces
        + JsonStringProperty("PartitionKey", partitionKey) + 1
        + JsonStringProperty("RowKey", rowKey) + 1
        + JsonStringProperty(GrainIdProperty, grainId) + 1
        + JsonName(ClearedProperty) + "false".Length;

    // ,"Data0":"<base64>","Data0@odata.type":"Edm.Binary" for each chunk.
    private static long DataJsonBytes(int dataBytes)
    {
        long total = 0;
        var index = 0;
        for (var remaining = dataBytes; remaining > 0; remaining -= MaxBinaryPropertyBytes)
        {
            var chunk = Math.Min(MaxBinaryPropertyBytes, remaining);
            var name = DataPropertyPrefix + index++;
            total += 1 + JsonName(name) + 2 + (4L * ((chunk + 2) / 3));
            total += 1 + JsonStringProperty(name + "@odata.type", "Edm.Binary");
        }

        return total;
    }

    // Azure: 4 + 2 * len(PartitionKey + RowKey) + per property (8 + 2 * len(name) + value size).
    private static long FixedAzureBytes(string partitionKey, string rowKey, string grainId) =>
        4
        + (2L * (partitionKey.Length + rowKey.Length))
        + AzureProperty(GrainIdProperty, 4 + (2L * grainId.Length))
        + AzureProperty(ClearedProperty, 1)
        + AzureProperty("Timestamp", 8);

    private static long DataAzureBytes(int dataBytes)
    {
        long total = 0;
        var index = 0;
        for (var remaining = dataBytes; remaining > 0; remaining -= MaxBinaryPropertyBytes)
        {
            total += AzureProperty(DataPropertyPrefix + index++, 4 + Math.Min(MaxBinaryPropertyBytes, remaining));
        }

        return total;
    }

    private static long AzureProperty(string name, long valueBytes) => 8 + (2L * name.Length) + valueBytes;

    private static long JsonStringProperty(string name, string value) => JsonName(name) + JsonString(value);

    private static long JsonName(string name) => JsonString(name) + 1;

    private static long JsonString(string value) => JsonEncodedText.Encode(value).EncodedUtf8Bytes.Length + 2;
}
