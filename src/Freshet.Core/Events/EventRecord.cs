using System.Runtime.InteropServices;

namespace Freshet.Events;

/// <summary>
/// The fixed part of one event inside an <see cref="EventBatch"/>: type, event time, id hash and where its fields
/// sit in the batch's field array. 24 bytes, no references.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public readonly struct EventRecord
{
    /// <summary>Event time, UTC epoch milliseconds.</summary>
    public readonly long TimeMs;
    /// <summary>XXH64 of the event id's UTF-8 bytes, or 0 when the event has no id.</summary>
    public readonly ulong IdHash;
    /// <summary>Interned id of the event type.</summary>
    public readonly int TypeId;
    /// <summary>Index of the first field in the batch's field array.</summary>
    public readonly int FieldStart;

    public EventRecord(int typeId, long timeMs, ulong idHash, int fieldStart)
    {
        TypeId = typeId;
        TimeMs = timeMs;
        IdHash = idHash;
        FieldStart = fieldStart;
    }
}
