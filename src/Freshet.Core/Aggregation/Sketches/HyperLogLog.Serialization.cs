using System.Buffers;
using System.Buffers.Binary;
using System.Numerics;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// Binary form, version 1 (process-independent, since registers depend only on content hashes):
/// <code>
/// byte version (1) | byte precision (14) | byte form (0 sparse, 1 dense, 2 exact) | payload
/// sparse: varint n | n varint deltas between consecutive entries (the first from 0), entries strictly ascending
///         by register, each entry index &lt;&lt; 6 | rank
/// dense:  m registers packed 6 bits each, four registers per three bytes, little-endian (12 KiB)
/// exact:  varint n | n hashes strictly ascending, 8 bytes each, little-endian
/// </code>
/// A sparse sketch stays sparse: a tiny tile costs a few bytes per distinct value, not 12 KiB. The exact form came
/// later within version 1: older readers reject it as an unknown form, and everything they wrote still reads.
/// Exact hashes are stored whole because uniform 64-bit values sorted n to a list differ by about 2⁶⁴ / n, which
/// a varint delta would spend 9 bytes on.
/// </summary>
public sealed partial class HyperLogLog : IPooledSketch<HyperLogLog>
{
    private const byte FormatVersion = 1;
    private const byte SparseForm = 0;
    private const byte DenseForm = 1;
    private const byte ExactForm = 2;
    private const int HeaderBytes = 3;
    private const int DensePayloadBytes = RegisterCount * 6 / 8;

    // Entries have 14 + 6 = 20 bits, so a delta takes at most three 7-bit varint groups.
    private const int EntryVarIntMaxBytes = 3;

    /// <summary>An upper bound of the bytes <see cref="WriteTo(Span{byte})"/> writes for the current contents.</summary>
    public int MaxSerializedSize
    {
        get
        {
            Compact();
            return HeaderBytes + (_exactTier
                ? SketchEncoding.VarIntMaxBytes + (_exactCount * sizeof(ulong))
                : _registers is null
                ? SketchEncoding.VarIntMaxBytes + (_sparseCount * EntryVarIntMaxBytes)
                : DensePayloadBytes);
        }
    }

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
        Compact();
        destination[0] = FormatVersion;
        destination[1] = Precision;
        if (_exactTier)
        {
            destination[2] = ExactForm;
            int written = HeaderBytes + SketchEncoding.WriteVarInt(destination[HeaderBytes..], (ulong)_exactCount);
            foreach (ulong hash in ExactHashes)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[written..], hash);
                written += sizeof(ulong);
            }

            return written;
        }

        if (_registers is { } registers)
        {
            destination[2] = DenseForm;
            var payload = destination.Slice(HeaderBytes, DensePayloadBytes);
            for (int r = 0, b = 0; r < RegisterCount; r += 4, b += 3)
            {
                uint packed = registers[r] | ((uint)registers[r + 1] << 6) | ((uint)registers[r + 2] << 12) | ((uint)registers[r + 3] << 18);
                payload[b] = (byte)packed;
                payload[b + 1] = (byte)(packed >> 8);
                payload[b + 2] = (byte)(packed >> 16);
            }

            return HeaderBytes + DensePayloadBytes;
        }

        destination[2] = SparseForm;
        int offset = HeaderBytes + SketchEncoding.WriteVarInt(destination[HeaderBytes..], (ulong)_sparseCount);
        uint previous = 0;
        foreach (uint entry in _sparse.AsSpan(0, _sparseCount))
        {
            offset += SketchEncoding.WriteVarInt(destination[offset..], entry - previous);
            previous = entry;
        }

        return offset;
    }

    /// <summary>
    /// Replaces the contents of <paramref name="into"/> with a sketch read from <paramref name="source"/> and returns
    /// the bytes consumed. Throws <see cref="InvalidDataException"/> on a foreign version or corrupt bytes.
    /// </summary>
    public static int ReadFrom(ReadOnlySpan<byte> source, HyperLogLog into)
    {
        ArgumentNullException.ThrowIfNull(into);
        into.Clear();
        int offset = 0;
        byte version = SketchEncoding.ReadByte(source, ref offset);
        if (version != FormatVersion)
        {
            SketchEncoding.ThrowCorrupt($"HyperLogLog format version {version}, expected {FormatVersion}");
        }

        byte precision = SketchEncoding.ReadByte(source, ref offset);
        if (precision != Precision)
        {
            SketchEncoding.ThrowCorrupt($"HyperLogLog precision {precision}, expected {Precision}");
        }

        byte form = SketchEncoding.ReadByte(source, ref offset);
        return form switch
        {
            SparseForm => into.ReadSparse(source, offset),
            DenseForm => into.ReadDense(source, offset),
            ExactForm => into.ReadExact(source, offset),
            _ => Corrupt($"HyperLogLog form {form}"),
        };
    }

    /// <summary>
    /// Reads into a cleared (exact, empty) sketch by adding the hashes, so a list longer than this build's T (written
    /// by a build with a larger one) turns into registers exactly as the same adds would.
    /// </summary>
    private int ReadExact(ReadOnlySpan<byte> source, int offset)
    {
        int count = (int)SketchEncoding.ReadVarInt(source, ref offset, int.MaxValue / sizeof(ulong), "HyperLogLog hash count");
        if (source.Length - offset < count * sizeof(ulong))
        {
            SketchEncoding.ThrowCorrupt($"truncated HyperLogLog hashes ({count} announced)");
        }

        if (count <= ExactHashesMax)
        {
            EnsureExactCapacity(count);
        }

        ulong previous = 0;
        for (int i = 0; i < count; i++, offset += sizeof(ulong))
        {
            ulong hash = BinaryPrimitives.ReadUInt64LittleEndian(source[offset..]);
            if (i > 0 && hash <= previous)
            {
                SketchEncoding.ThrowCorrupt($"HyperLogLog hash {hash} is out of order");
            }

            Add(hash);
            previous = hash;
        }

        return offset;
    }

    private int ReadSparse(ReadOnlySpan<byte> source, int offset)
    {
        int count = (int)SketchEncoding.ReadVarInt(source, ref offset, RegisterCount, "HyperLogLog entry count");

        // An empty list is an empty sketch, which is exact; a non-empty one (written before the exact tier existed,
        // or past it) holds registers, and registers cannot go back to hashes.
        if (count == 0)
        {
            return offset;
        }

        _exactTier = false;

        // Another build may have used a larger sparse limit; such a list simply loads dense.
        bool dense = count > SparseEntriesMax;
        if (dense)
        {
            _registers = new byte[RegisterCount];
        }
        else if (_sparse.Length < count)
        {
            _sparse = new uint[Math.Max((int)BitOperations.RoundUpToPowerOf2((uint)count), SparseInitialCapacity)];
        }

        long entry = 0;
        long previousIndex = -1;
        for (int i = 0; i < count; i++)
        {
            entry += (long)SketchEncoding.ReadVarInt(source, ref offset, (1 << (Precision + RankFieldBits)) - 1, "HyperLogLog entry delta");
            long index = entry >> RankFieldBits;
            long rank = entry & RankFieldMask;
            if (index >= RegisterCount || index <= previousIndex || rank is < 1 or > RankMax)
            {
                SketchEncoding.ThrowCorrupt($"HyperLogLog entry {entry} is out of order or out of range");
            }

            previousIndex = index;
            if (dense)
            {
                _registers![index] = (byte)rank;
            }
            else
            {
                _sparse[i] = (uint)entry;
            }
        }

        _sparseCount = dense ? 0 : count;
        _sortedCount = _sparseCount;
        return offset;
    }

    private int ReadDense(ReadOnlySpan<byte> source, int offset)
    {
        if (source.Length - offset < DensePayloadBytes)
        {
            SketchEncoding.ThrowCorrupt("truncated HyperLogLog registers");
        }

        var payload = source.Slice(offset, DensePayloadBytes);
        var registers = new byte[RegisterCount];
        for (int r = 0, b = 0; r < RegisterCount; r += 4, b += 3)
        {
            uint packed = payload[b] | ((uint)payload[b + 1] << 8) | ((uint)payload[b + 2] << 16);
            for (int k = 0; k < 4; k++)
            {
                uint rank = (packed >> (6 * k)) & RankFieldMask;
                if (rank > RankMax)
                {
                    SketchEncoding.ThrowCorrupt($"HyperLogLog rank {rank} exceeds {RankMax}");
                }

                registers[r + k] = (byte)rank;
            }
        }

        _registers = registers;
        _exactTier = false;
        return offset + DensePayloadBytes;
    }

    private static int Corrupt(string reason)
    {
        SketchEncoding.ThrowCorrupt(reason);
        return 0;
    }
}
