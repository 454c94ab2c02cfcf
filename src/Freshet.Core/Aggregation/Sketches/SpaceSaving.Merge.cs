using System.Buffers;
using System.Numerics;

namespace Freshet.Aggregation.Sketches;

/// <summary>Merging, reading out and reloading whole summaries. These run on roll-ups and queries, not per event.</summary>
public sealed partial class SpaceSaving
{
    /// <summary>
    /// Folds <paramref name="other"/> in with the combining rule of parallel Space-Saving (Cafaro, Pulimeno and
    /// Tempesta, 2016; see also Agarwal et al., "Mergeable summaries", 2012): every item of the union gets
    /// <c>count = cA + cB</c> and <c>error = eA + eB</c>, where a summary that does not hold the item contributes
    /// its minimum count to both if it is full (the most the item can have had there) and 0 if not (the item never
    /// occurred there).
    /// The <see cref="Capacity"/> largest by (count descending, item ascending) are kept; that order is total, so
    /// <c>a.Merge(b)</c> and <c>b.Merge(a)</c> hold the same counters. The bounds stay valid:
    /// <c>count − error ≤ true ≤ count</c>.
    /// </summary>
    public void Merge(SpaceSaving other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._size == 0)
        {
            return;
        }

        long minThis = MinCount;
        long minOther = other.MinCount;
        Counter[] scratch = ArrayPool<Counter>.Shared.Rent(_size + other._size);
        int n = 0;
        for (int slot = 0; slot < _size; slot++)
        {
            ref Counter mine = ref _counters[slot];
            int theirs = other.Find(mine.Item);
            long count = theirs >= 0 ? other._counters[theirs].Count : minOther;
            long error = theirs >= 0 ? other._counters[theirs].Error : minOther;
            scratch[n++] = new Counter { Item = mine.Item, Count = mine.Count + count, Error = mine.Error + error };
        }

        for (int slot = 0; slot < other._size; slot++)
        {
            ref Counter theirs = ref other._counters[slot];
            if (Find(theirs.Item) < 0)
            {
                scratch[n++] = new Counter { Item = theirs.Item, Count = theirs.Count + minThis, Error = theirs.Error + minThis };
            }
        }

        Load(scratch.AsSpan(0, n));
        ArrayPool<Counter>.Shared.Return(scratch);
    }

    /// <summary>
    /// Copies up to <paramref name="k"/> items, largest count first and ties by ascending item, into
    /// <paramref name="destination"/>; returns how many were copied.
    /// </summary>
    /// <remarks>
    /// Runs on every query of a top-k feature, so it selects instead of sorting all counters: the destination holds
    /// the best n so far as a heap with the weakest at the root, most counters lose to the root at once, and only
    /// the n winners are sorted. O(size + n log n) in practice rather than O(size log size).
    /// </remarks>
    public int CopyTop(Span<(int Item, long Count, long Error)> destination, int k)
    {
        int n = Math.Min(Math.Min(k, _size), destination.Length);
        if (n <= 0)
        {
            return 0;
        }

        var best = destination[..n];
        for (int slot = 0; slot < n; slot++)
        {
            ref Counter counter = ref _counters[slot];
            best[slot] = (counter.Item, counter.Count, counter.Error);
            SiftUpWeakest(best, slot);
        }

        for (int slot = n; slot < _size; slot++)
        {
            ref Counter counter = ref _counters[slot];
            if (Outranks(counter.Count, counter.Item, best[0].Count, best[0].Item))
            {
                best[0] = (counter.Item, counter.Count, counter.Error);
                SiftDownWeakest(best);
            }
        }

        best.Sort(static (a, b) => a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Item.CompareTo(b.Item));
        return n;
    }

    /// <summary>True when both summaries have the same capacity and hold the same items with the same counts and errors.</summary>
    internal bool ContentEquals(SpaceSaving other)
    {
        if (Capacity != other.Capacity || _size != other._size)
        {
            return false;
        }

        for (int slot = 0; slot < _size; slot++)
        {
            ref Counter mine = ref _counters[slot];
            int theirs = other.Find(mine.Item);
            if (theirs < 0 || other._counters[theirs].Count != mine.Count || other._counters[theirs].Error != mine.Error)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Ranking for output and truncation: count descending, then item ascending. Static, so the delegate is cached.</summary>
    private static readonly Comparison<Counter> RankOrder = static (a, b) =>
        a.Count != b.Count ? b.Count.CompareTo(a.Count) : a.Item.CompareTo(b.Item);

    /// <summary>True when (countA, itemA) ranks above (countB, itemB): higher count, then lower item.</summary>
    private static bool Outranks(long countA, int itemA, long countB, int itemB) =>
        countA > countB || (countA == countB && itemA < itemB);

    /// <summary>Restores the weakest-at-root heap after adding at <paramref name="position"/>.</summary>
    private static void SiftUpWeakest(Span<(int Item, long Count, long Error)> heap, int position)
    {
        var entry = heap[position];
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            if (!Outranks(heap[parent].Count, heap[parent].Item, entry.Count, entry.Item))
            {
                break;
            }

            heap[position] = heap[parent];
            position = parent;
        }

        heap[position] = entry;
    }

    /// <summary>Restores the weakest-at-root heap after replacing the root.</summary>
    private static void SiftDownWeakest(Span<(int Item, long Count, long Error)> heap)
    {
        var entry = heap[0];
        int position = 0;
        while (true)
        {
            int child = (2 * position) + 1;
            if (child >= heap.Length)
            {
                break;
            }

            if (child + 1 < heap.Length && Outranks(heap[child].Count, heap[child].Item, heap[child + 1].Count, heap[child + 1].Item))
            {
                child++;
            }

            if (!Outranks(entry.Count, entry.Item, heap[child].Count, heap[child].Item))
            {
                break;
            }

            heap[position] = heap[child];
            position = child;
        }

        heap[position] = entry;
    }

    /// <summary>Replaces the contents with the best <see cref="Capacity"/> of <paramref name="entries"/> (distinct items).</summary>
    private void Load(Span<Counter> entries)
    {
        entries.Sort(RankOrder);
        int keep = Math.Min(entries.Length, Capacity);
        _size = 0;
        if (_counters.Length < keep)
        {
            Grow(Math.Min(Math.Max((int)BitOperations.RoundUpToPowerOf2((uint)keep), InitialSlots), Capacity));
        }
        else
        {
            _index.AsSpan().Clear();
        }

        // Entries are in rank order, best first; reversed they ascend in heap order, and an ascending array is
        // already a valid min-heap, so no sifting is needed.
        for (int slot = 0; slot < keep; slot++)
        {
            int position = keep - 1 - slot;
            _counters[slot] = entries[slot] with { HeapPosition = position };
            _heap[position] = slot;
            IndexInsert(slot);
        }

        _size = keep;
    }
}
