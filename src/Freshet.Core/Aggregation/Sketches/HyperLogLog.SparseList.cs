using System.Diagnostics;
using System.Numerics;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// The sparse form: inserts are buffered unsorted behind the sorted list and folded in by batches. Entries are
/// <c>index &lt;&lt; 6 | rank</c>, so ascending order is by register and then by rank: among entries of one
/// register the last one in ascending order has the highest rank, and deduplicating keeps exactly that one (the
/// register maximum).
/// </summary>
public sealed partial class HyperLogLog
{
    private void AddSparse(uint entry)
    {
        // Repeats are the common case (the same user again within a tile): drop them before they take space.
        if (SortedCovers(entry) || _sparse.AsSpan(_sortedCount, _sparseCount - _sortedCount).Contains(entry))
        {
            return;
        }

        if (_sparseCount == _sparse.Length)
        {
            Compact();
            if (_sparseCount == _sparse.Length)
            {
                if (_sparse.Length >= SparseEntriesMax)
                {
                    ConvertToDense();
                    Apply(_registers!, new ReadOnlySpan<uint>(in entry));
                    return;
                }

                GrowList(Math.Clamp(_sparse.Length * 2, SparseInitialCapacity, SparseEntriesMax), _sparseCount);
            }
        }

        _sparse[_sparseCount++] = entry;
        if (_sparseCount - _sortedCount >= PendingMax)
        {
            Compact();
        }
    }

    /// <summary>True when the sorted part already holds this register with at least this rank.</summary>
    private bool SortedCovers(uint entry)
    {
        // Find the last sorted entry ≤ entry | 63 (rank field 63 is never stored): the only one that can share the
        // register. The comparisons of a search over random hashes are coin flips, so the step is computed with a
        // sign mask instead of a branch (the JIT does not turn conditionals inside loops into conditional moves);
        // hand-written also because MemoryExtensions.BinarySearch boxes its key.
        long key = entry | RankFieldMask;
        ReadOnlySpan<uint> sorted = _sparse.AsSpan(0, _sortedCount);
        if (sorted.IsEmpty || sorted[0] > key)
        {
            return false;
        }

        int low = 0;
        for (int length = sorted.Length; length > 1; length -= length >> 1)
        {
            int half = length >> 1;

            // All ones when sorted[low + half] ≤ key, else zero.
            int step = (int)~((key - sorted[low + half]) >> 63);
            low += half & step;
        }

        return (sorted[low] >> RankFieldBits) == (entry >> RankFieldBits) && sorted[low] >= entry;
    }

    /// <summary>Sorts the pending inserts and merges them into the sorted part.</summary>
    private void Compact()
    {
        int pending = _sparseCount - _sortedCount;
        if (pending == 0)
        {
            return;
        }

        Debug.Assert(pending <= PendingMax, "only AddSparse appends pending entries, and it compacts at PendingMax");
        Span<uint> batch = stackalloc uint[PendingMax];
        batch = batch[..pending];
        _sparse.AsSpan(_sortedCount, pending).CopyTo(batch);
        SortBatch(batch);
        _sparseCount = MergeSortedInPlace(_sparse, _sortedCount, batch);
        _sortedCount = _sparseCount;
    }

    /// <summary>Merges another sorted list into this (compacted, sparse) sketch, going dense past the limit.</summary>
    private void MergeSparse(ReadOnlySpan<uint> entries)
    {
        int total = _sparseCount + entries.Length;
        if (total <= _sparse.Length)
        {
            _sparseCount = MergeSortedInPlace(_sparse, _sparseCount, entries);
        }
        else
        {
            // Tiles of one entity overlap heavily (the same users every minute), so size by the union, not the sum,
            // before deciding that the roll-up needs 16 KiB.
            int union = UnionCount(_sparse.AsSpan(0, _sparseCount), entries);
            if (union > SparseEntriesMax)
            {
                ConvertToDense();
                Apply(_registers!, entries);
                return;
            }

            var merged = RentList(Math.Min((int)BitOperations.RoundUpToPowerOf2((uint)union), SparseEntriesMax));
            _sparseCount = MergeSortedInto(_sparse.AsSpan(0, _sparseCount), entries, merged);
            Release(_sparse);
            _sparse = merged;
        }

        _sortedCount = _sparseCount;
    }

    /// <summary>
    /// Merges sorted <paramref name="source"/> into the sorted first <paramref name="targetCount"/> entries of
    /// <paramref name="target"/>, which must have room for both. Returns the deduplicated count, stored from 0.
    /// </summary>
    /// <remarks>
    /// Works from the back so no scratch array is needed. With d duplicates dropped so far, the next store goes to
    /// <c>i + j + 1 + d</c> (i, j: the next unread positions), which is above every unread target entry, so nothing
    /// unread is overwritten. The inner loop is branch-free (masks, since the JIT keeps branches inside loops):
    /// which side is larger and whether an entry repeats a register are coin flips on random hashes, and
    /// mispredictions dominated the branchy loop (2–3× slower). A duplicate is stored anyway and then overwritten
    /// by the next store, because the position is not advanced.
    /// </remarks>
    private static int MergeSortedInPlace(uint[] target, int targetCount, ReadOnlySpan<uint> source)
    {
        int i = targetCount - 1;
        int j = source.Length - 1;
        int write = targetCount + source.Length;

        // Register indices are below 2^14, so this never matches a real one.
        uint lastIndex = uint.MaxValue;
        while (i >= 0 && j >= 0)
        {
            uint fromTarget = target[i];
            uint fromSource = source[j];

            // 1 when the target entry is the larger, else 0; the entry is picked with the matching mask.
            int takeTarget = (int)(((long)fromSource - fromTarget) >>> 63);
            uint entry = fromSource ^ ((fromTarget ^ fromSource) & (uint)-takeTarget);
            i -= takeTarget;
            j -= 1 - takeTarget;

            // Going down, the first entry seen for a register carries its highest rank; the rest are dominated.
            // (x | −x) >> 31 is 1 exactly when x ≠ 0, so the position only advances past a new register.
            uint index = entry >> RankFieldBits;
            uint differs = index ^ lastIndex;
            target[write - 1] = entry;
            write -= (int)((differs | (0u - differs)) >> 31);
            lastIndex = index;
        }

        // One side is left; drain it with the same deduplication (only its first entry can repeat a register).
        for (; i >= 0; i--)
        {
            uint entry = target[i];
            uint index = entry >> RankFieldBits;
            if (index != lastIndex)
            {
                target[--write] = entry;
                lastIndex = index;
            }
        }

        for (; j >= 0; j--)
        {
            uint entry = source[j];
            uint index = entry >> RankFieldBits;
            if (index != lastIndex)
            {
                target[--write] = entry;
                lastIndex = index;
            }
        }

        int count = targetCount + source.Length - write;
        if (write > 0)
        {
            target.AsSpan(write, count).CopyTo(target);
        }

        return count;
    }

    /// <summary>
    /// Sorts a pending batch (at most <see cref="PendingMax"/> entries). Entries come from hashes, so their top bits
    /// are uniform: one counting pass on their top bits, one bucket per batch slot, leaves each entry in a bucket of about one, and
    /// an insertion sort finishes in near-linear time. Introsort spent most of its time on mispredicted branches.
    /// Even a skewed batch costs at most PendingMax² / 2 moves.
    /// </summary>
    private static void SortBatch(Span<uint> batch)
    {
        const int BucketShift = Precision + RankFieldBits - PendingBits;
        Span<int> starts = stackalloc int[PendingMax + 1];
        Span<uint> bucketed = stackalloc uint[PendingMax];
        starts.Clear();
        foreach (uint entry in batch)
        {
            starts[(int)(entry >> BucketShift) + 1]++;
        }

        for (int bucket = 1; bucket < starts.Length; bucket++)
        {
            starts[bucket] += starts[bucket - 1];
        }

        foreach (uint entry in batch)
        {
            bucketed[starts[(int)(entry >> BucketShift)]++] = entry;
        }

        for (int k = 1; k < batch.Length; k++)
        {
            uint entry = bucketed[k];
            int position = k - 1;
            while (position >= 0 && bucketed[position] > entry)
            {
                bucketed[position + 1] = bucketed[position];
                position--;
            }

            bucketed[position + 1] = entry;
        }

        bucketed[..batch.Length].CopyTo(batch);
    }

    /// <summary>Merges two sorted lists into <paramref name="destination"/>, one entry per register; returns the count.</summary>
    private static int MergeSortedInto(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b, Span<uint> destination)
    {
        int i = 0;
        int j = 0;
        int count = 0;
        while (i < a.Length || j < b.Length)
        {
            uint entry = j >= b.Length || (i < a.Length && a[i] < b[j]) ? a[i++] : b[j++];

            // Going up, a later entry of the same register has a higher rank and replaces the earlier one.
            if (count > 0 && (destination[count - 1] >> RankFieldBits) == (entry >> RankFieldBits))
            {
                destination[count - 1] = entry;
            }
            else
            {
                destination[count++] = entry;
            }
        }

        return count;
    }

    /// <summary>Number of distinct registers in the union of two sorted, deduplicated lists.</summary>
    private static int UnionCount(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        int i = 0;
        int j = 0;
        int count = 0;
        while (i < a.Length && j < b.Length)
        {
            uint indexA = a[i] >> RankFieldBits;
            uint indexB = b[j] >> RankFieldBits;
            i += indexA <= indexB ? 1 : 0;
            j += indexB <= indexA ? 1 : 0;
            count++;
        }

        return count + (a.Length - i) + (b.Length - j);
    }
}
