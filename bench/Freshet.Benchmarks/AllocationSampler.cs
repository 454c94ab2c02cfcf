using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Freshet.Benchmarks;

/// <summary>
/// Samples allocations by type through the runtime's GC AllocationTick events (one per ~100 KB allocated), so the
/// allocation check can say what allocates, not only how much.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);

    public bool Enabled { get; set; }

    public IEnumerable<(string Type, long Bytes)> Top(int n) =>
        _bytesByType.OrderByDescending(kv => kv.Value).Take(n).Select(kv => (kv.Key, kv.Value));

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick.
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Enabled || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null)
        {
            return;
        }

        int typeIndex = e.PayloadNames!.IndexOf("TypeName");
        int amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        string type = typeIndex >= 0 ? e.Payload[typeIndex]?.ToString() ?? "?" : "?";
        long amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex], System.Globalization.CultureInfo.InvariantCulture) : 0;
        _bytesByType.AddOrUpdate(type, amount, (_, b) => b + amount);
    }
}
