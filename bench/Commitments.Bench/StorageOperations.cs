using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Commitments.Storage.AzureTables;

namespace Commitments.Bench;

/// <summary>Counts the grain-state operations the host sends to the table while it is alive, by operation and grain type.</summary>
internal sealed class StorageOperations : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public StorageOperations()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == AzureTableGrainStorage.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? operation = null, type = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "operation")
                {
                    operation = tag.Value as string;
                }
                else if (tag.Key == "grain.type")
                {
                    type = tag.Value as string;
                }
            }

            _counts.AddOrUpdate($"{type} {operation}", value, (_, sum) => sum + value);
        });
        _listener.Start();
    }

    /// <summary>One line: each grain type's operations, and per <paramref name="per"/> items.</summary>
    public string Describe(int per) =>
        string.Join(", ", _counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value} ({(double)c.Value / per:F2} each)"))
        + $"; total {_counts.Values.Sum()} ({(double)_counts.Values.Sum() / per:F2} each)";

    public void Dispose() => _listener.Dispose();
}
