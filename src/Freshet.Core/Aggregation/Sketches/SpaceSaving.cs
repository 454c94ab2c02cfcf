using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// A Space-Saving top-k summary (Metwally, Agrawal and El Abbadi, 2005) over interned item ids with a fixed number
/// of counters. A held item's count over-estimates its true weight by at most its error:
/// <c>count − error ≤ true ≤ count</c>; an item not held has true weight at most the smallest count.
/// <para>
/// Layout, all flat arrays: counters (item, count, error, heap position) in slots; a binary min-heap of slots
/// ordered by (count ascending, item descending), whose root is the counter to evict; and an open-addressing
/// table (linear probing, load ≤ 1/2) from item to slot. <see cref="Add"/> is O(log capacity) and allocation-free
/// once the arrays have grown; they grow by doubling up to the capacity because most tiles see few items.
/// </para>
/// Eviction and merge both rank by (count, item), a total order, so a summary's future depends only on its
/// contents, never on the order its arrays happen to be in. Not thread-safe: it belongs to one shard.
/// </summary>
public sealed partial class SpaceSaving
{
    private const int InitialSlots = 8;

    private Counter[] _counters = [];
    private int[] _heap = [];
    private int[] _index = [];
    private int _indexShift;
    private int _size;

    /// <summary>Creates an empty summary with room for <paramref name="capacity"/> counters.</summary>
    public SpaceSaving(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    /// <summary>Number of counters: the most items the summary holds.</summary>
    public int Capacity { get; }

    /// <summary>Number of items held.</summary>
    public int Count => _size;

    /// <summary>True when every counter is taken, so a new item evicts the smallest.</summary>
    public bool IsFull => _size == Capacity;

    /// <summary>The smallest count when full (the bound on any item not held), else 0.</summary>
    public long MinCount => IsFull ? _counters[_heap[0]].Count : 0;

    /// <summary>Approximate heap bytes held: the object, then three arrays of 24 bytes of header plus their elements.</summary>
    public int ByteSize =>
        56 + (3 * 24) + (_counters.Length * Unsafe.SizeOf<Counter>()) + ((_heap.Length + _index.Length) * sizeof(int));

    /// <summary>Adds <paramref name="weight"/> (≥ 0) occurrences of <paramref name="item"/>.</summary>
    public void Add(int item, long weight = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(weight);
        if (weight == 0)
        {
            return;
        }

        int slot = Find(item);
        if (slot < 0)
        {
            if (_size < Capacity)
            {
                if (_size == _counters.Length)
                {
                    Grow(Math.Min(Math.Max(_counters.Length * 2, InitialSlots), Capacity));
                }

                slot = _size++;
                _counters[slot] = new Counter { Item = item, Count = weight, Error = 0, HeapPosition = slot };
                _heap[slot] = slot;
                IndexInsert(slot);
                SiftUp(slot);
                return;
            }

            // Evict the smallest counter: the newcomer inherits its count as the error bound, because the
            // newcomer may have occurred up to that many times while it was not held.
            slot = _heap[0];
            ref Counter evicted = ref _counters[slot];
            IndexRemove(evicted.Item);
            evicted.Error = evicted.Count;
            evicted.Item = item;
            IndexInsert(slot);
        }

        _counters[slot].Count += weight;
        SiftDown(_counters[slot].HeapPosition);
    }

    /// <summary>Empties the summary for reuse; small arrays are kept, large ones dropped (pooled summaries mostly serve small tiles).</summary>
    /// <summary>Marks the item ids held (see <see cref="Events.StringMarks"/>).</summary>
    public void MarkItems(Events.StringMarks marks)
    {
        for (int i = 0; i < _size; i++)
        {
            marks.Mark(_counters[i].Item);
        }
    }

    public void Clear()
    {
        _size = 0;
        if (_counters.Length > InitialSlots * 8)
        {
            _counters = [];
            _heap = [];
            _index = [];
        }
        else
        {
            _index.AsSpan().Clear();
        }
    }

    /// <summary>The slot holding <paramref name="item"/>, or −1.</summary>
    private int Find(int item)
    {
        if (_size == 0)
        {
            return -1;
        }

        int mask = _index.Length - 1;
        for (int i = Home(item); ; i = (i + 1) & mask)
        {
            int entry = _index[i];
            if (entry == 0)
            {
                return -1;
            }

            if (_counters[entry - 1].Item == item)
            {
                return entry - 1;
            }
        }
    }

    /// <summary>Fibonacci hashing: ids are dense small ints, so the multiply spreads neighbours across the table.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(int item) => (int)(((uint)item * 0x9E3779B9u) >> _indexShift);

    private void IndexInsert(int slot)
    {
        int mask = _index.Length - 1;
        int i = Home(_counters[slot].Item);
        while (_index[i] != 0)
        {
            i = (i + 1) & mask;
        }

        _index[i] = slot + 1;
    }

    /// <summary>Removes an item with backward-shift deletion, which keeps probe chains intact without tombstones.</summary>
    private void IndexRemove(int item)
    {
        int mask = _index.Length - 1;
        int hole = Home(item);
        while (_counters[_index[hole] - 1].Item != item)
        {
            hole = (hole + 1) & mask;
        }

        for (int j = (hole + 1) & mask; _index[j] != 0; j = (j + 1) & mask)
        {
            int home = Home(_counters[_index[j] - 1].Item);

            // An entry may move back into the hole only if its home is not cyclically within (hole, j].
            bool staysPut = hole <= j ? hole < home && home <= j : hole < home || home <= j;
            if (!staysPut)
            {
                _index[hole] = _index[j];
                hole = j;
            }
        }

        _index[hole] = 0;
    }

    /// <summary>Grows the slot arrays to <paramref name="slots"/> and rebuilds the index at twice that size.</summary>
    private void Grow(int slots)
    {
        Array.Resize(ref _counters, slots);
        Array.Resize(ref _heap, slots);
        int indexLength = (int)BitOperations.RoundUpToPowerOf2((uint)(slots * 2));
        _index = new int[indexLength];
        _indexShift = 32 - BitOperations.Log2((uint)indexLength);
        for (int slot = 0; slot < _size; slot++)
        {
            IndexInsert(slot);
        }
    }

    /// <summary>Heap order: a before b when a is the better eviction victim (smaller count, then larger item).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool Before(int slotA, int slotB)
    {
        ref Counter a = ref _counters[slotA];
        ref Counter b = ref _counters[slotB];
        return a.Count < b.Count || (a.Count == b.Count && a.Item > b.Item);
    }

    private void SiftUp(int position)
    {
        int slot = _heap[position];
        while (position > 0)
        {
            int parent = (position - 1) >> 1;
            if (!Before(slot, _heap[parent]))
            {
                break;
            }

            Place(_heap[parent], position);
            position = parent;
        }

        Place(slot, position);
    }

    private void SiftDown(int position)
    {
        int slot = _heap[position];
        while (true)
        {
            int child = (2 * position) + 1;
            if (child >= _size)
            {
                break;
            }

            if (child + 1 < _size && Before(_heap[child + 1], _heap[child]))
            {
                child++;
            }

            if (!Before(_heap[child], slot))
            {
                break;
            }

            Place(_heap[child], position);
            position = child;
        }

        Place(slot, position);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Place(int slot, int position)
    {
        _heap[position] = slot;
        _counters[slot].HeapPosition = position;
    }

    private struct Counter
    {
        public long Count;
        public long Error;
        public int Item;
        public int HeapPosition;
    }
}
