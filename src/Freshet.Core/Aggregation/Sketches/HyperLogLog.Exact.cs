using System.Diagnostics;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// The exact tier: while at most <see cref="ExactHashesMax"/> distinct hashes have been seen, the sketch keeps the
/// hashes themselves, sorted ascending and distinct, and <see cref="Estimate"/> is their count. Registers would
/// already be inexact here: two values that share one of the 16,384 registers count once, which happens to about
/// n² / 2m of sets of n values (1 in 5,000 at n = 3), while two distinct 64-bit hashes collide with probability
/// 2⁻⁶⁴. Past the limit the hashes become registers (a deterministic function of the hash set, so every way of
/// reaching the same set, by adds or by merges in any order, reaches the same registers) and the sketch continues
/// in the sparse or dense form.
/// <para>
/// The hashes live in the sparse list's <c>uint[]</c>, two slots a hash: a pooled sketch keeps one buffer, not
/// one per tier, and T hashes fill exactly the 256 slots that <see cref="Clear"/> keeps. Leaving the tier
/// rewrites the buffer in place (an entry is written at or before the slot of the hash it comes from, which has
/// been read by then), so the switch itself allocates nothing.
/// </para>
/// </summary>
public sealed partial class HyperLogLog
{
    /// <summary>
    /// T, the most distinct hashes kept exactly. A hash takes 8 bytes against the sparse form's 4 bytes per register,
    /// so at T = 128 the list holds 1 KiB where a sparse list of the same values would hold 512 B: a bounded premium
    /// (1/16 of the dense 16 KiB) paid only by small sketches. 1 KiB is also what a cleared sketch already keeps
    /// for reuse (<see cref="SparseKeptOnClearMax"/> entries), so a pooled sketch that reaches T keeps its buffer,
    /// and the same buffer then holds the converted sparse list with room for a full pending batch. At T = 256 the
    /// list would take 2 KiB, and either every pooled sketch would keep twice as much or those past 128 values
    /// would reallocate on every reuse. Just past T the register estimate has a standard deviation of about
    /// n / √(2m) (0.55 %), under one value, well inside the accuracy target.
    /// </summary>
    public const int ExactHashesMax = 128;

    /// <summary>Slots of the shared buffer that T hashes take; <see cref="Clear"/> keeps a buffer this size.</summary>
    private const int ExactSlotsMax = 2 * ExactHashesMax;

    private const int ExactInitialSlots = 8;

    /// <summary>True while the sketch keeps its hashes exactly (at most <see cref="ExactHashesMax"/> of them).</summary>
    public bool IsExact => _exactTier;

    /// <summary>The distinct hashes held in the exact tier, ascending; empty in the register forms.</summary>
    internal ReadOnlySpan<ulong> ExactHashes => HashSlots(_sparse)[.._exactCount];

    /// <summary>
    /// True when both sketches hold the same contents: the same hashes when both are exact, the same registers when
    /// both hold registers (sparse or dense alike). An exact and a register sketch never compare equal.
    /// </summary>
    public bool SameContents(HyperLogLog other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (_exactTier || other._exactTier)
        {
            return _exactTier && other._exactTier && ExactHashes.SequenceEqual(other.ExactHashes);
        }

        return RegistersEqual(other);
    }

    /// <summary>
    /// The non-zero registers of a sketch that is not dense, as sorted sparse entries: the compacted list, or for
    /// the exact tier the entries of its hashes, written to <paramref name="scratch"/> (T entries).
    /// </summary>
    private ReadOnlySpan<uint> RegisterEntries(Span<uint> scratch)
    {
        if (_exactTier)
        {
            return scratch[..EntriesOf(ExactHashes, scratch)];
        }

        Compact();
        return _sparse.AsSpan(0, _sparseCount);
    }

    /// <summary>
    /// Inserts in place: a new hash moves at most T − 1 others (1 KiB, one memmove), and a repeat, the common case,
    /// costs a branch-free binary search of at most 7 steps. The sparse list batches its inserts because it grows to
    /// 2048 entries; at this size a pending buffer would only make repeats scan it linearly.
    /// </summary>
    private void AddExact(ulong hash)
    {
        int count = _exactCount;
        int position = InsertionPoint(ExactHashes, hash, out bool found);
        if (found)
        {
            return;
        }

        if (count == ExactHashesMax)
        {
            ConvertExactToSparse(ExactHashes);
            AddSparse(EntryOf(hash));
            return;
        }

        if (2 * (count + 1) > _sparse.Length)
        {
            GrowList(Math.Clamp(_sparse.Length * 2, ExactInitialSlots, ExactSlotsMax), 2 * count);
        }

        Span<ulong> hashes = HashSlots(_sparse);
        hashes[position..count].CopyTo(hashes[(position + 1)..]);
        hashes[position] = hash;
        _exactCount = count + 1;
    }

    /// <summary>
    /// Merges an exact-tier <paramref name="other"/> into this sketch, whatever its tier. Two exact sketches stay
    /// exact when their union fits, so the tier depends on the union only, not on how it was split.
    /// </summary>
    private void MergeExact(HyperLogLog other)
    {
        Debug.Assert(other._exactTier, "the caller checks the tier of the other sketch");
        ReadOnlySpan<ulong> theirs = other.ExactHashes;
        if (_exactTier)
        {
            // Count the union before choosing the tier: tiles of one entity repeat the same values, so the sum of
            // the counts would convert sketches whose union is still small.
            Span<ulong> union = stackalloc ulong[2 * ExactHashesMax];
            int count = UnionInto(ExactHashes, theirs, union);
            if (count <= ExactHashesMax)
            {
                EnsureExactCapacity(count);
                union[..count].CopyTo(HashSlots(_sparse));
                _exactCount = count;
                return;
            }

            ConvertExactToSparse(union[..count]);
            return;
        }

        Span<uint> entries = stackalloc uint[ExactHashesMax];
        entries = entries[..EntriesOf(theirs, entries)];
        if (_registers is { } registers)
        {
            Apply(registers, entries);
            return;
        }

        Compact();
        MergeSparse(entries);
    }

    /// <summary>
    /// Makes room for <paramref name="count"/> (≤ T) hashes in an exact sketch whose contents are about to be
    /// overwritten, so nothing is copied.
    /// </summary>
    private void EnsureExactCapacity(int count)
    {
        Debug.Assert(count <= ExactHashesMax, "past T a sketch holds registers");
        if (_sparse.Length < 2 * count)
        {
            Release(_sparse);
            _sparse = RentList(Math.Max((int)BitOperations.RoundUpToPowerOf2((uint)(2 * count)), ExactInitialSlots));
        }
    }

    /// <summary>
    /// Leaves the exact tier: the registers of <paramref name="hashes"/> (sorted, distinct; the sketch's own, or a
    /// union of at most 2T) become the sparse list, in the same buffer when it is large enough.
    /// </summary>
    private void ConvertExactToSparse(ReadOnlySpan<ulong> hashes)
    {
        Debug.Assert(hashes.Length <= ExactSlotsMax, "at most the union of two exact sketches");
        uint[]? old = null;
        if (_sparse.Length < ExactSlotsMax)
        {
            // When the hashes are the sketch's own they stay readable in the old buffer through the span; it goes back
            // to the pool only after they are read.
            old = _sparse;
            _sparse = RentList(ExactSlotsMax);
        }

        _sparseCount = EntriesOf(hashes, _sparse);
        if (old is not null)
        {
            Release(old);
        }

        _sortedCount = _sparseCount;
        _exactTier = false;
        _exactCount = 0;
    }

    /// <summary>The shared buffer seen as hashes: slots 2i and 2i + 1 hold hash i.</summary>
    private static Span<ulong> HashSlots(uint[] buffer) => MemoryMarshal.Cast<uint, ulong>(buffer.AsSpan());

    /// <summary>
    /// The sparse entries of sorted, distinct hashes, written to <paramref name="destination"/>; returns the count.
    /// Ascending hashes have ascending top bits, so the entries come out sorted by register with the entries of one
    /// register adjacent, and keeping the largest of those keeps the register's maximum rank. No sort needed.
    /// <paramref name="destination"/> may be the buffer that holds the hashes: entry k is written to slot k after
    /// hash k or a later one (slots 2k, 2k + 1 or later) has been read.
    /// </summary>
    private static int EntriesOf(ReadOnlySpan<ulong> hashes, Span<uint> destination)
    {
        int count = 0;
        foreach (ulong hash in hashes)
        {
            uint entry = EntryOf(hash);
            if (count > 0 && (destination[count - 1] >> RankFieldBits) == (entry >> RankFieldBits))
            {
                destination[count - 1] = Math.Max(destination[count - 1], entry);
            }
            else
            {
                destination[count++] = entry;
            }
        }

        return count;
    }

    /// <summary>
    /// Where <paramref name="hash"/> is or would go in <paramref name="sorted"/>. The comparisons of a search over
    /// random hashes are coin flips, so the step is taken with a mask (as in <see cref="SortedCovers"/>).
    /// </summary>
    private static int InsertionPoint(ReadOnlySpan<ulong> sorted, ulong hash, out bool found)
    {
        if (sorted.IsEmpty || sorted[0] > hash)
        {
            found = false;
            return 0;
        }

        // Invariant: sorted[low] ≤ hash, and the last such entry lies in [low, low + length).
        int low = 0;
        for (int length = sorted.Length; length > 1; length -= length >> 1)
        {
            int half = length >> 1;
            low += half & -Unsafe.BitCast<bool, byte>(sorted[low + half] <= hash);
        }

        found = sorted[low] == hash;
        return found ? low : low + 1;
    }

    /// <summary>Merges two sorted, distinct lists into <paramref name="destination"/> without repeats; returns the count.</summary>
    private static int UnionInto(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, Span<ulong> destination)
    {
        int i = 0;
        int j = 0;
        int count = 0;
        while (i < a.Length && j < b.Length)
        {
            ulong x = a[i];
            ulong y = b[j];
            destination[count++] = Math.Min(x, y);
            i += x <= y ? 1 : 0;
            j += y <= x ? 1 : 0;
        }

        a[i..].CopyTo(destination[count..]);
        count += a.Length - i;
        b[j..].CopyTo(destination[count..]);
        return count + (b.Length - j);
    }
}
