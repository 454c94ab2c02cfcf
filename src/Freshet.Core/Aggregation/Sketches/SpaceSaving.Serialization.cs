using System.Buffers;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// Binary form, version 1:
/// <code>
/// byte version (1) | varint capacity | varint n | n × (varint item, varint count, varint error), best first
/// </code>
/// Entries are written in rank order (count descending, item ascending), so equal summaries give equal bytes.
/// Items are written as the process-local interned ids they are: the bytes are only valid in the process that
/// wrote them until checkpoints map ids to strings (a later change) — do not ship them across processes yet.
/// </summary>
public sealed partial class SpaceSaving : IPooledSketch<SpaceSaving>
{
    private const byte FormatVersion = 1;

    // Per entry: an int id (5 bytes as a varint of its uint bits) and two longs (10 bytes each).
    private const int EntryMaxBytes = 5 + SketchEncoding.VarIntMaxBytes + SketchEncoding.VarIntMaxBytes;

    // The smallest entry: three one-byte varints. Bounds n before anything is rented for it.
    private const int EntryMinBytes = 3;

    /// <summary>An upper bound of the bytes <see cref="WriteTo(Span{byte})"/> writes for the current contents.</summary>
    public int MaxSerializedSize => 1 + 5 + 5 + (_size * EntryMaxBytes);

    /// <summary>Writes the binary form to <paramref name="output"/>.</summary>
    public void WriteTo(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        int written = WriteTo(output.GetSpan(MaxSerializedSize));
        output.Advance(written);
    }

    /// <summary>Writes the binary form; <paramref name="destination"/> must hold <see cref="MaxSerializedSize"/> bytes.</summary>
    public int WriteTo(Span<byte> destination)
    {
        destination[0] = FormatVersion;
        int offset = 1;
        offset += SketchEncoding.WriteVarInt(destination[offset..], (ulong)Capacity);
        offset += SketchEncoding.WriteVarInt(destination[offset..], (ulong)_size);
        if (_size == 0)
        {
            return offset;
        }

        Counter[] scratch = ArrayPool<Counter>.Shared.Rent(_size);
        var ranked = scratch.AsSpan(0, _size);
        _counters.AsSpan(0, _size).CopyTo(ranked);
        ranked.Sort(RankOrder);
        foreach (ref Counter counter in ranked)
        {
            offset += SketchEncoding.WriteVarInt(destination[offset..], (uint)counter.Item);
            offset += SketchEncoding.WriteVarInt(destination[offset..], (ulong)counter.Count);
            offset += SketchEncoding.WriteVarInt(destination[offset..], (ulong)counter.Error);
        }

        ArrayPool<Counter>.Shared.Return(scratch);
        return offset;
    }

    /// <summary>
    /// Replaces the contents of <paramref name="into"/> with a summary read from <paramref name="source"/> and returns
    /// the bytes consumed. A summary written with a larger capacity keeps its best <c>into.Capacity</c> items.
    /// Throws <see cref="InvalidDataException"/> on a foreign version or corrupt bytes.
    /// </summary>
    public static int ReadFrom(ReadOnlySpan<byte> source, SpaceSaving into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        int offset = 0;
        byte version = SketchEncoding.ReadByte(source, ref offset);
        if (version != FormatVersion)
        {
            SketchEncoding.ThrowCorrupt($"Space-Saving format version {version}, expected {FormatVersion}");
        }

        SketchEncoding.ReadVarInt(source, ref offset, int.MaxValue, "Space-Saving capacity");
        int n = (int)SketchEncoding.ReadVarInt(source, ref offset, (source.Length - offset) / EntryMinBytes, "Space-Saving entry count");
        if (n == 0)
        {
            return offset;
        }

        Counter[] scratch = ArrayPool<Counter>.Shared.Rent(n);
        for (int i = 0; i < n; i++)
        {
            ref Counter counter = ref scratch[i];
            counter.Item = (int)(uint)SketchEncoding.ReadVarInt(source, ref offset, uint.MaxValue, "Space-Saving item");
            counter.Count = SketchEncoding.ReadVarInt(source, ref offset, long.MaxValue, "Space-Saving count");
            counter.Error = SketchEncoding.ReadVarInt(source, ref offset, long.MaxValue, "Space-Saving error");

            // Strict rank order also rules out a repeated item, which would corrupt the index.
            bool ordered = i == 0 || RankOrder(scratch[i - 1], counter) < 0;
            if (counter.Count < 1 || counter.Error > counter.Count || !ordered)
            {
                ArrayPool<Counter>.Shared.Return(scratch);
                SketchEncoding.ThrowCorrupt($"Space-Saving entry {i} is out of order or out of range");
            }
        }

        into.Load(scratch.AsSpan(0, n));
        ArrayPool<Counter>.Shared.Return(scratch);
        return offset;
    }
}
