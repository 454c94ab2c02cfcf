using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// Little helpers shared by the sketch binary forms: unsigned LEB128 varints (small numbers dominate sketch payloads:
/// deltas between sorted HyperLogLog entries, counts of small top-k summaries) and one throw helper for bad input.
/// </summary>
internal static class SketchEncoding
{
    /// <summary>Longest varint of a 64-bit value.</summary>
    public const int VarIntMaxBytes = 10;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteVarInt(Span<byte> destination, ulong value)
    {
        int n = 0;
        while (value >= 0x80)
        {
            destination[n++] = (byte)(value | 0x80);
            value >>= 7;
        }

        destination[n++] = (byte)value;
        return n;
    }

    /// <summary>Reads a varint at <paramref name="offset"/> and advances it; throws on truncated or overlong input.</summary>
    public static ulong ReadVarInt(ReadOnlySpan<byte> source, ref int offset)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if ((uint)offset >= (uint)source.Length)
            {
                ThrowCorrupt("truncated varint");
            }

            byte b = source[offset++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        ThrowCorrupt("varint longer than 10 bytes");
        return 0;
    }

    /// <summary>Reads a varint that must fit in [0, <paramref name="max"/>].</summary>
    public static long ReadVarInt(ReadOnlySpan<byte> source, ref int offset, long max, string what)
    {
        ulong value = ReadVarInt(source, ref offset);
        if (value > (ulong)max)
        {
            ThrowCorrupt($"{what} {value} exceeds {max}");
        }

        return (long)value;
    }

    public static byte ReadByte(ReadOnlySpan<byte> source, ref int offset)
    {
        if ((uint)offset >= (uint)source.Length)
        {
            ThrowCorrupt("truncated header");
        }

        return source[offset++];
    }

    /// <summary>Corrupt or foreign bytes are not a data-plane condition: they mean a broken checkpoint or a bug.</summary>
    [DoesNotReturn]
    public static void ThrowCorrupt(string reason) => throw new InvalidDataException($"Invalid sketch bytes: {reason}.");
}
