using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Hashing;

/// <summary>
/// XXH64 (Yann Collet's xxHash, 64-bit variant). Hand-written because System.IO.Hashing does not restore here.
/// Stable across processes and machines, so sketches built from it (HyperLogLog registers, shard routing) can be
/// checkpointed and merged across workers.
/// </summary>
public static class XxHash64
{
    private const ulong Prime1 = 11400714785074694791UL;
    private const ulong Prime2 = 14029467366897019727UL;
    private const ulong Prime3 = 1609587929392839161UL;
    private const ulong Prime4 = 9650029242287828579UL;
    private const ulong Prime5 = 2870177450012600261UL;

    /// <summary>Hashes <paramref name="data"/> with the given seed.</summary>
    public static ulong Hash(ReadOnlySpan<byte> data, ulong seed = 0)
    {
        int length = data.Length;
        int offset = 0;
        ulong h;
        if (length >= 32)
        {
            ulong v1 = seed + Prime1 + Prime2;
            ulong v2 = seed + Prime2;
            ulong v3 = seed;
            ulong v4 = seed - Prime1;
            int limit = length - 32;
            do
            {
                v1 = Round(v1, BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]));
                v2 = Round(v2, BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 8)..]));
                v3 = Round(v3, BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 16)..]));
                v4 = Round(v4, BinaryPrimitives.ReadUInt64LittleEndian(data[(offset + 24)..]));
                offset += 32;
            }
            while (offset <= limit);
            h = BitOperations.RotateLeft(v1, 1) + BitOperations.RotateLeft(v2, 7)
                + BitOperations.RotateLeft(v3, 12) + BitOperations.RotateLeft(v4, 18);
            h = MergeRound(h, v1);
            h = MergeRound(h, v2);
            h = MergeRound(h, v3);
            h = MergeRound(h, v4);
        }
        else
        {
            h = seed + Prime5;
        }

        h += (ulong)length;
        while (offset + 8 <= length)
        {
            ulong k1 = Round(0, BinaryPrimitives.ReadUInt64LittleEndian(data[offset..]));
            h ^= k1;
            h = (BitOperations.RotateLeft(h, 27) * Prime1) + Prime4;
            offset += 8;
        }

        if (offset + 4 <= length)
        {
            h ^= BinaryPrimitives.ReadUInt32LittleEndian(data[offset..]) * Prime1;
            h = (BitOperations.RotateLeft(h, 23) * Prime2) + Prime3;
            offset += 4;
        }

        while (offset < length)
        {
            h ^= data[offset] * Prime5;
            h = BitOperations.RotateLeft(h, 11) * Prime1;
            offset++;
        }

        return Avalanche(h);
    }

    /// <summary>Hashes one 64-bit value (used for numbers); equal to hashing its 8 little-endian bytes.</summary>
    public static ulong Hash(ulong value, ulong seed = 0)
    {
        ulong h = seed + Prime5 + 8;
        h ^= Round(0, value);
        h = (BitOperations.RotateLeft(h, 27) * Prime1) + Prime4;
        return Avalanche(h);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Round(ulong acc, ulong input)
    {
        acc += input * Prime2;
        acc = BitOperations.RotateLeft(acc, 31);
        return acc * Prime1;
    }

    private static ulong MergeRound(ulong acc, ulong val)
    {
        acc ^= Round(0, val);
        return (acc * Prime1) + Prime4;
    }

    private static ulong Avalanche(ulong h)
    {
        h ^= h >> 33;
        h *= Prime2;
        h ^= h >> 29;
        h *= Prime3;
        h ^= h >> 32;
        return h;
    }
}
