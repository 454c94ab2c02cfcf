using System.Buffers.Binary;

namespace Freshet.Engine.Log;

/// <summary>
/// The fixed header of one record of the event log: a batch of accepted events with consecutive offsets.
/// <code>
///  0  u32 magic "FRB1"         4  u32 CRC-32C of bytes 8..end of payload
///  8  u32 payload length      12  u32 event count
/// 16  i64 first offset        24  i64 smallest event time (ms)
/// 32  i64 largest event time  40  i64 wall-clock time of the append (ms)
/// </code>
/// The payload is the events themselves (see <see cref="LogRecordCodec"/>). Offsets are the position of an event in
/// the log: a record holds <c>[FirstOffset, FirstOffset + Count)</c>.
/// </summary>
internal readonly record struct LogRecordHeader(int PayloadLength, int Count, long FirstOffset, long MinTimeMs, long MaxTimeMs, long AppendedMs)
{
    public const int Size = 48;
    public const uint Magic = 0x31425246; // "FRB1" little-endian

    /// <summary>Largest payload a record may claim; anything larger is damage, not data.</summary>
    public const int MaxPayloadBytes = 256 << 20;

    public long EndOffset => FirstOffset + Count;

    public int TotalBytes => Size + PayloadLength;

    /// <summary>Writes the header (CRC included) in front of a payload already in <paramref name="record"/>[Size..].</summary>
    public void WriteWithCrc(Span<byte> record)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(record, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], PayloadLength);
        BinaryPrimitives.WriteInt32LittleEndian(record[12..], Count);
        BinaryPrimitives.WriteInt64LittleEndian(record[16..], FirstOffset);
        BinaryPrimitives.WriteInt64LittleEndian(record[24..], MinTimeMs);
        BinaryPrimitives.WriteInt64LittleEndian(record[32..], MaxTimeMs);
        BinaryPrimitives.WriteInt64LittleEndian(record[40..], AppendedMs);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Storage.Crc32C.Compute(record[8..(Size + PayloadLength)]));
    }

    /// <summary>Reads a header; false when the magic is wrong or the lengths are impossible (the CRC is checked separately).</summary>
    public static bool TryRead(ReadOnlySpan<byte> bytes, out LogRecordHeader header, out uint crc)
    {
        header = default;
        crc = 0;
        if (bytes.Length < Size || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
        {
            return false;
        }

        int payload = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        if (payload < 0 || payload > MaxPayloadBytes || count <= 0)
        {
            return false;
        }

        crc = BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]);
        header = new LogRecordHeader(payload, count,
            BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[32..]),
            BinaryPrimitives.ReadInt64LittleEndian(bytes[40..]));
        return true;
    }

    /// <summary>True when <paramref name="record"/> (header and payload) matches the CRC in its header.</summary>
    public static bool CrcMatches(ReadOnlySpan<byte> record, uint crc) => Storage.Crc32C.Compute(record[8..]) == crc;
}
