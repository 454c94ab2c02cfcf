using System.Buffers.Binary;
using System.Text;
using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine.Log;

/// <summary>
/// Turns a run of events into a log record and back. The payload is self-contained, so a log can be read by any
/// process (recovery, <c>freshet check</c>, a backfill) without this process's string ids:
/// <code>
/// varint string count, then each string: varint UTF-8 length, bytes     (every string the events use, once)
/// per event: varint type (string index), varint time − smallest time, u8 flags (1: has id), [u64 id hash],
///            varint field count, per field: varint name (string index), u8 kind, varint string index | f64 number
/// </code>
/// Encoding keeps per-string scratch indexed by interned id, so a record costs no hashing and, once the scratch
/// has grown to the string table, allocates nothing. Not thread-safe: the log encodes under its append lock.
/// </summary>
internal sealed class LogRecordCodec
{
    private int[] _stamp = new int[1024];
    private int[] _local = new int[1024];
    // The same for the batch's own strings (negative ids, see BatchStrings), indexed by ~id.
    private int[] _batchStamp = new int[256];
    private int[] _batchLocal = new int[256];
    private int _epoch;
    private readonly List<int> _strings = new(256);
    private byte[] _utf8 = new byte[256];

    /// <summary>
    /// Appends one record holding events <paramref name="start"/>..+<paramref name="count"/> of <paramref name="batch"/>
    /// to <paramref name="output"/> at its end, with offsets from <paramref name="firstOffset"/>. Returns the largest event
    /// time of the record (what retention's backfill horizon goes by).
    /// </summary>
    public long Encode(EventBatch batch, int start, int count, long firstOffset, long appendedMs, StringInterner strings, RecordBuffer output)
    {
        NextEpoch(strings.Count);
        _strings.Clear();
        long minTime = long.MaxValue, maxTime = long.MinValue;
        for (int i = start; i < start + count; i++)
        {
            ref readonly var e = ref batch[i];
            minTime = Math.Min(minTime, e.TimeMs);
            maxTime = Math.Max(maxTime, e.TimeMs);
            Note(e.TypeId);
            foreach (ref readonly var f in batch.FieldsOf(i))
            {
                Note(f.NameId);
                if (f.Kind == FieldKind.String)
                {
                    Note(f.StringId);
                }
            }
        }

        int recordStart = output.Length;
        output.Advance(LogRecordHeader.Size);
        output.WriteVarint((ulong)_strings.Count);
        foreach (int id in _strings)
        {
            if (id < 0)
            {
                var bytes = batch.LocalStrings.Utf8(~id);
                output.WriteVarint((ulong)bytes.Length);
                output.Write(bytes);
                continue;
            }

            string text = strings[id];
            int max = Encoding.UTF8.GetMaxByteCount(text.Length);
            if (_utf8.Length < max)
            {
                _utf8 = new byte[Math.Max(max, _utf8.Length * 2)];
            }

            int n = Encoding.UTF8.GetBytes(text, _utf8);
            output.WriteVarint((ulong)n);
            output.Write(_utf8.AsSpan(0, n));
        }

        for (int i = start; i < start + count; i++)
        {
            ref readonly var e = ref batch[i];
            output.WriteVarint((ulong)LocalIndex(e.TypeId));
            output.WriteVarint((ulong)(e.TimeMs - minTime));
            if (e.IdHash != 0)
            {
                output.WriteByte(1);
                output.WriteUInt64(e.IdHash);
            }
            else
            {
                output.WriteByte(0);
            }

            var fields = batch.FieldsOf(i);
            output.WriteVarint((ulong)fields.Length);
            foreach (ref readonly var f in fields)
            {
                output.WriteVarint((ulong)LocalIndex(f.NameId));
                output.WriteByte((byte)f.Kind);
                if (f.Kind == FieldKind.String)
                {
                    output.WriteVarint((ulong)LocalIndex(f.StringId));
                }
                else
                {
                    output.WriteDouble(f.Number);
                }
            }
        }

        int payload = output.Length - recordStart - LogRecordHeader.Size;
        new LogRecordHeader(payload, count, firstOffset, minTime, maxTime, appendedMs).WriteWithCrc(output.Span(recordStart, LogRecordHeader.Size + payload));
        return maxTime;
    }

    /// <summary>
    /// Appends the events of a record's payload to <paramref name="batch"/>: a string the interner holds gets its id,
    /// any other stays local to the batch (the engine promotes what state needs, as for events parsed from a request). Throws
    /// <see cref="FormatException"/> when the payload does not parse (the caller has checked its CRC, so that means a
    /// bug or a different format version, not a flipped bit).
    /// </summary>
    public static void Decode(ReadOnlySpan<byte> payload, in LogRecordHeader header, StringInterner strings, EventBatch batch, ref int[] ids)
    {
        int position = 0;
        int stringCount = checked((int)ReadVarint(payload, ref position));
        if (ids.Length < stringCount)
        {
            ids = new int[Math.Max(stringCount, ids.Length * 2)];
        }

        for (int s = 0; s < stringCount; s++)
        {
            int length = checked((int)ReadVarint(payload, ref position));
            ids[s] = batch.IdOf(payload.Slice(position, length), strings);
            position += length;
        }

        for (int i = 0; i < header.Count; i++)
        {
            int type = ids[Index(ReadVarint(payload, ref position), stringCount)];
            long time = header.MinTimeMs + (long)ReadVarint(payload, ref position);
            ulong idHash = 0;
            if (payload[position++] == 1)
            {
                idHash = BinaryPrimitives.ReadUInt64LittleEndian(payload[position..]);
                position += 8;
            }

            batch.BeginEvent(type, time, idHash);
            int fields = checked((int)ReadVarint(payload, ref position));
            for (int f = 0; f < fields; f++)
            {
                int name = ids[Index(ReadVarint(payload, ref position), stringCount)];
                var kind = (FieldKind)payload[position++];
                if (kind == FieldKind.String)
                {
                    batch.AddString(name, ids[Index(ReadVarint(payload, ref position), stringCount)]);
                }
                else if (kind == FieldKind.Number)
                {
                    batch.AddNumber(name, BinaryPrimitives.ReadDoubleLittleEndian(payload[position..]));
                    position += 8;
                }
                else
                {
                    throw new FormatException($"field kind {(int)kind} in the record at offset {header.FirstOffset}");
                }
            }

            batch.EndEvent();
        }

        if (position != payload.Length)
        {
            throw new FormatException($"the record at offset {header.FirstOffset} has {payload.Length - position} bytes after its last event");
        }
    }

    private void NoteBatchString(int index)
    {
        if (index >= _batchStamp.Length)
        {
            int size = Math.Max(index + 1, _batchStamp.Length * 2);
            Array.Resize(ref _batchStamp, size);
            Array.Resize(ref _batchLocal, size);
        }

        if (_batchStamp[index] != _epoch)
        {
            _batchStamp[index] = _epoch;
            _batchLocal[index] = _strings.Count;
            _strings.Add(~index);
        }
    }

    private static int Index(ulong value, int count) =>
        value < (ulong)count ? (int)value : throw new FormatException($"string index {value} of {count}");

    private static ulong ReadVarint(ReadOnlySpan<byte> bytes, ref int position)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            byte b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("a varint longer than 10 bytes");
    }

    private void NextEpoch(int stringCount)
    {
        if (_stamp.Length < stringCount)
        {
            int size = Math.Max(stringCount, _stamp.Length * 2);
            Array.Resize(ref _stamp, size);
            Array.Resize(ref _local, size);
        }

        if (++_epoch == int.MaxValue)
        {
            Array.Clear(_stamp);
            Array.Clear(_batchStamp);
            _epoch = 1;
        }
    }

    private int LocalIndex(int id) => id >= 0 ? _local[id] : _batchLocal[~id];

    private void Note(int id)
    {
        if (id < 0)
        {
            NoteBatchString(~id);
            return;
        }

        if (id >= _stamp.Length)
        {
            // A string interned by a concurrent parse after this record started: grow to cover it.
            int size = Math.Max(id + 1, _stamp.Length * 2);
            Array.Resize(ref _stamp, size);
            Array.Resize(ref _local, size);
        }

        if (_stamp[id] != _epoch)
        {
            _stamp[id] = _epoch;
            _local[id] = _strings.Count;
            _strings.Add(id);
        }
    }
}
