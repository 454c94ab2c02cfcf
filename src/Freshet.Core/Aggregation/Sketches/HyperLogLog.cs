using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// A HyperLogLog distinct-count sketch with precision p = 14 (m = 16384 registers, ≈ 0.81 % standard error) over
/// 64-bit hashes: the top 14 bits pick a register, the rank is one plus the leading zeros of the other 50 bits
/// (1..51). The estimate is Otmar Ertl's improved raw estimator, which is nearly unbiased over the whole range
/// (tiny to beyond 1e9) without empirical bias tables or a switch to linear counting.
/// <para>
/// Tiles are per entity per minute, hour and day, and most see a handful of values, so the sketch starts
/// <b>exact</b>: the distinct hashes themselves, counted exactly, up to <see cref="ExactHashesMax"/> of them. Past
/// that it holds registers, first <b>sparse</b>: a sorted list of <c>index &lt;&lt; 6 | rank</c> entries (one per
/// non-zero register, 4 bytes each), then <b>dense</b> (one byte per register, 16 KiB) only when the list would
/// pass <see cref="SparseEntriesMax"/>. Both register forms describe the same registers, so they give the same
/// estimate.
/// </para>
/// Not thread-safe: like every tile state it belongs to one shard. Reads (<see cref="Estimate"/>, merging from it,
/// serializing it) may compact its pending buffer, which is a change of layout, never of value.
/// </summary>
public sealed partial class HyperLogLog
{
    /// <summary>Register-index bits (p).</summary>
    public const int Precision = 14;

    /// <summary>Number of registers (m = 2^p).</summary>
    public const int RegisterCount = 1 << Precision;

    /// <summary>Hash bits left for the rank (q = 64 − p).</summary>
    private const int RankBits = 64 - Precision;

    /// <summary>Largest rank: q + 1, for a hash whose last 50 bits are all zero.</summary>
    public const int RankMax = RankBits + 1;

    private const int RankFieldBits = 6;
    private const uint RankFieldMask = (1u << RankFieldBits) - 1;

    /// <summary>
    /// Largest sparse list, in entries. At 4 bytes an entry the list then takes 8 KiB, half of the dense 16 KiB.
    /// Beyond it the saving shrinks (break-even is 4096 entries) while every batch merge costs O(list) moves, and
    /// the array would still be doubling; past half the dense size, dense is the better trade for time and space.
    /// </summary>
    internal const int SparseEntriesMax = 2048;

    /// <summary>
    /// Unsorted inserts buffered at the end of the sparse array (no extra memory) before they are sorted and merged
    /// in one O(n) pass; inserting each in place would shift half the list per insert. Measured on fills of 200 to
    /// 2000 distinct values: 16 and 64 merge too often, 128 and 256 are about equal; 128 keeps the stack buffers of
    /// a compaction at 1.5 KiB.
    /// </summary>
    private const int PendingMax = 1 << PendingBits;

    private const int PendingBits = 7;

    private const int SparseInitialCapacity = 4;

    /// <summary>
    /// Pooled sketches are reused for whatever tile comes next, usually a tiny one, so <see cref="Clear"/> keeps the
    /// shared buffer only up to this size (1 KiB: T exact hashes, or 256 sparse entries) and always drops the dense
    /// registers.
    /// </summary>
    private const int SparseKeptOnClearMax = ExactSlotsMax;

    // Exact tier while _exactTier: _exactCount distinct hashes, ascending, stored in _sparse (two slots a hash).
    private bool _exactTier = true;
    private int _exactCount;

    // Sparse form: [0, _sortedCount) sorted ascending with one entry per register; [_sortedCount, _sparseCount)
    // pending inserts in arrival order. In the exact tier the buffer holds the hashes; unused once dense.
    private uint[] _sparse = [];
    private int _sortedCount;
    private int _sparseCount;

    // Dense form: one rank per register; null in the exact tier and while sparse.
    private byte[]? _registers;

    // Where buffers come from and go back to (the aggregator's pool), or null to use plain arrays.
    private readonly SketchBuffers? _buffers;

    /// <summary>A sketch with plain arrays (tests and one-off use).</summary>
    public HyperLogLog()
    {
    }

    /// <summary>A sketch that takes its buffers from, and gives them back to, <paramref name="buffers"/>.</summary>
    public HyperLogLog(SketchBuffers buffers) => _buffers = buffers;

    /// <summary>True while the sketch holds registers as the sorted-list form (past the exact tier, not yet dense).</summary>
    public bool IsSparse => !_exactTier && _registers is null;

    /// <summary>True when nothing has been added.</summary>
    public bool IsEmpty => _registers is null && _sparseCount == 0 && _exactCount == 0;

    /// <summary>Approximate heap bytes held: object header and fields plus the arrays.</summary>
    public int ByteSize =>
        48 + (_sparse.Length == 0 ? 0 : 24 + (_sparse.Length * sizeof(uint))) + (_registers is null ? 0 : 24 + RegisterCount);

    /// <summary>Adds one 64-bit hash (of a string's content or a number's bits; see XxHash64).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(ulong hash)
    {
        byte[]? registers = _registers;
        if (registers is not null)
        {
            uint index = (uint)(hash >> RankBits);
            int rank = RankOf(hash);
            if (rank > registers[index])
            {
                registers[index] = (byte)rank;
            }

            return;
        }

        if (_exactTier)
        {
            AddExact(hash);
            return;
        }

        AddSparse(EntryOf(hash));
    }

    /// <summary>
    /// Adds the contents of <paramref name="other"/>: the union of hashes while both are exact and it fits, else the
    /// register-wise maximum; any combination of tiers and forms.
    /// </summary>
    public void Merge(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (ReferenceEquals(other, this) || other.IsEmpty)
        {
            return;
        }

        if (other._exactTier)
        {
            MergeExact(other);
            return;
        }

        if (other._registers is { } otherRegisters)
        {
            if (_registers is null)
            {
                ConvertToDense();
            }

            MaxInto(_registers!, otherRegisters);
            return;
        }

        if (_exactTier)
        {
            ConvertExactToSparse(ExactHashes);
        }

        other.Compact();
        ReadOnlySpan<uint> entries = other._sparse.AsSpan(0, other._sparseCount);
        if (_registers is { } registers)
        {
            Apply(registers, entries);
            return;
        }

        Compact();
        MergeSparse(entries);
    }

    /// <summary>
    /// Empties the sketch for reuse (pooling): back to the exact tier, keeping a small buffer (up to T hashes or
    /// <see cref="SparseKeptOnClearMax"/> sparse entries, the same 1 KiB).
    /// </summary>
    public void Clear()
    {
        if (_registers is { } registers)
        {
            _buffers?.Return(registers);
            _registers = null;
        }

        if (_buffers is not null)
        {
            // With a pool every buffer goes back, whatever its size: the next tile rents what it grows to, so each
            // size is returned as often as it is rented and a warm shard allocates none.
            Release(_sparse);
            _sparse = [];
        }
        else if (_sparse.Length > SparseKeptOnClearMax)
        {
            _sparse = [];
        }

        _sortedCount = 0;
        _sparseCount = 0;
        _exactTier = true;
        _exactCount = 0;
    }

    /// <summary>
    /// True when both sketches describe the same registers, whatever their tiers and forms; the registers of an
    /// exact sketch are those its hashes would set. <see cref="SameContents"/> also compares the tier.
    /// </summary>
    public bool RegistersEqual(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Span<uint> scratch = stackalloc uint[ExactHashesMax];
        Span<uint> otherScratch = stackalloc uint[ExactHashesMax];
        if (_registers is { } registers)
        {
            return other._registers is { } otherRegisters
                ? registers.AsSpan().SequenceEqual(otherRegisters)
                : DenseEqualsSparse(registers, other.RegisterEntries(otherScratch));
        }

        ReadOnlySpan<uint> entries = RegisterEntries(scratch);
        return other._registers is { } denseOther
            ? DenseEqualsSparse(denseOther, entries)
            : entries.SequenceEqual(other.RegisterEntries(otherScratch));
    }

    /// <summary>A list buffer of <paramref name="length"/> (a power of two) entries, from the pool when there is one.</summary>
    private uint[] RentList(int length) => _buffers?.RentList(length) ?? new uint[length];

    /// <summary>Gives a list buffer the sketch no longer uses back to the pool.</summary>
    private void Release(uint[] list) => _buffers?.Return(list);

    /// <summary>Grows the list buffer to <paramref name="length"/> entries, keeping the first <paramref name="used"/>.</summary>
    private void GrowList(int length, int used)
    {
        var grown = RentList(length);
        _sparse.AsSpan(0, used).CopyTo(grown);
        Release(_sparse);
        _sparse = grown;
    }

    /// <summary>Switches to the dense form now; tests use it to compare forms, merges use it past the sparse limit.</summary>
    internal void ConvertToDense()
    {
        if (_registers is not null)
        {
            return;
        }

        var registers = _buffers?.RentRegisters() ?? new byte[RegisterCount];
        if (_exactTier)
        {
            foreach (ulong hash in ExactHashes)
            {
                uint index = (uint)(hash >> RankBits);
                registers[index] = (byte)Math.Max(registers[index], RankOf(hash));
            }

            _exactTier = false;
            _exactCount = 0;
        }

        Apply(registers, _sparse.AsSpan(0, _sparseCount));
        _registers = registers;

        // A dense sketch never goes back to sparse until Clear, so the list would be dead weight.
        Release(_sparse);
        _sparse = [];
        _sortedCount = 0;
        _sparseCount = 0;
    }

    /// <summary>
    /// The rank of a hash: one plus the leading zeros of its low 50 bits. The sentinel bit just below the shifted-in
    /// 50 bits caps the count at 50, so an all-zero remainder gets rank q + 1 = 51 instead of 65.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int RankOf(ulong hash) => BitOperations.LeadingZeroCount((hash << Precision) | (1UL << (Precision - 1))) + 1;

    /// <summary>The sparse entry of a hash: <c>index &lt;&lt; 6 | rank</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint EntryOf(ulong hash) => ((uint)(hash >> RankBits) << RankFieldBits) | (uint)RankOf(hash);

    private static void Apply(byte[] registers, ReadOnlySpan<uint> entries)
    {
        foreach (uint entry in entries)
        {
            uint index = entry >> RankFieldBits;
            byte rank = (byte)(entry & RankFieldMask);
            if (rank > registers[index])
            {
                registers[index] = rank;
            }
        }
    }

    private static void MaxInto(byte[] into, byte[] from)
    {
        // m is a multiple of every vector width, so there is no scalar tail.
        var target = into.AsSpan();
        var source = from.AsSpan();
        for (int i = 0; i < RegisterCount; i += Vector<byte>.Count)
        {
            Vector.Max(new Vector<byte>(target[i..]), new Vector<byte>(source[i..])).CopyTo(target[i..]);
        }
    }

    private static bool DenseEqualsSparse(byte[] registers, ReadOnlySpan<uint> entries)
    {
        if (RegisterCount - registers.AsSpan().Count((byte)0) != entries.Length)
        {
            return false;
        }

        foreach (uint entry in entries)
        {
            if (registers[entry >> RankFieldBits] != (entry & RankFieldMask))
            {
                return false;
            }
        }

        return true;
    }
}
