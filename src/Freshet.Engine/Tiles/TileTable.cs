using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Engine.Tiles;

/// <summary>
/// The tiles of one feature in one shard: an open-addressing (linear probing) hash table stored in a single
/// <c>long[]</c>. Each slot is a key followed inline by the aggregator's state, so a count tile costs 16 bytes of
/// slot plus load-factor slack and there is no per-tile object. Deletion shifts entries back (no tombstones), so
/// probe lengths stay short under steady expiry. Single writer; readers hold the shard lock.
/// </summary>
internal sealed class TileTable
{
    /// <summary>Bits of the bucket id kept in a key: ids wrap modulo 2^29, unique within any retention the loader allows.</summary>
    public const int BucketBits = 29;
    public const long BucketMask = (1L << BucketBits) - 1;
    private const int MinCapacity = 64;

    private readonly int _width;
    private readonly int _stride;
    private long[] _slots;
    private int _mask;
    private int _shift;
    private int _count;

    public TileTable(int width, int initialCapacity = MinCapacity)
    {
        _width = width;
        _stride = width + 1;
        int capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(MinCapacity, initialCapacity));
        _slots = new long[capacity * _stride];
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
    }

    public int Count => _count;

    public int Capacity => _mask + 1;

    /// <summary>Bytes held by the table (the whole slot array, including empty slots).</summary>
    public long Bytes => (long)_slots.Length * sizeof(long);

    /// <summary>Packs a tile key: entity id (32 bits) | level (3 bits) | bucket id modulo 2^29. Never 0: entity ids start at 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long MakeKey(int entityId, int level, long bucket) =>
        ((long)(uint)entityId << 32) | ((long)level << BucketBits) | (bucket & BucketMask);

    public static int EntityOf(long key) => (int)(key >>> 32);

    public static int LevelOf(long key) => (int)((key >>> BucketBits) & 7);

    /// <summary>The full bucket id of a key, given the current bucket id at its level (ids are stored wrapped).</summary>
    public static long BucketOf(long key, long currentBucket)
    {
        long distance = (currentBucket - (key & BucketMask)) & BucketMask;
        if (distance >= 1L << (BucketBits - 1))
        {
            distance -= 1L << BucketBits; // A tile slightly in the future (within max_future).
        }

        return currentBucket - distance;
    }

    /// <summary>Offset of the state of <paramref name="key"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(long key)
    {
        var slots = _slots;
        int i = Home(key);
        while (true)
        {
            long k = slots[i * _stride];
            if (k == key)
            {
                return (i * _stride) + 1;
            }

            if (k == 0)
            {
                return -1;
            }

            i = (i + 1) & _mask;
        }
    }

    /// <summary>
    /// Offset of the state of <paramref name="key"/>, adding an uninitialized (zeroed) slot when absent.
    /// Offsets are valid until the next add (which may grow the table).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int FindOrAdd(long key, out bool added)
    {
        if ((_count + 1) * 4 > Capacity * 3)
        {
            Grow();
        }

        var slots = _slots;
        int i = Home(key);
        while (true)
        {
            long k = slots[i * _stride];
            if (k == key)
            {
                added = false;
                return (i * _stride) + 1;
            }

            if (k == 0)
            {
                slots[i * _stride] = key;
                _count++;
                added = true;
                return (i * _stride) + 1;
            }

            i = (i + 1) & _mask;
        }
    }

    public Span<long> State(int offset) => _slots.AsSpan(offset, _width);

    /// <summary>
    /// Grows the table now so it holds <paramref name="entries"/> without growing again. Loading a checkpoint needs it:
    /// the tiles arrive in another table's slot order, which is hash order, and hash-ordered inserts into a smaller
    /// linear-probing table pile into one long run (quadratic time).
    /// </summary>
    public void EnsureCapacity(int entries)
    {
        while (entries * 4 > Capacity * 3)
        {
            Grow();
        }
    }

    /// <summary>Number of slots, for sweeping.</summary>
    public int SlotCount => _mask + 1;

    /// <summary>Key in slot <paramref name="slot"/> (0 when empty).</summary>
    public long KeyAt(int slot) => _slots[slot * _stride];

    public Span<long> StateAt(int slot) => _slots.AsSpan((slot * _stride) + 1, _width);

    /// <summary>Removes the entry in <paramref name="slot"/>, shifting later entries of its probe run back.</summary>
    public void RemoveAt(int slot)
    {
        var slots = _slots;
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = (j + 1) & _mask;
            long k = slots[j * _stride];
            if (k == 0)
            {
                break;
            }

            int home = Home(k);
            // Move j into the hole unless its home lies cyclically in (hole, j]: then it must stay after its home.
            bool stays = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
            if (!stays)
            {
                Array.Copy(slots, j * _stride, slots, hole * _stride, _stride);
                hole = j;
            }
        }

        Array.Clear(slots, hole * _stride, _stride);
        _count--;
    }

    public bool Remove(long key)
    {
        int offset = Find(key);
        if (offset < 0)
        {
            return false;
        }

        RemoveAt((offset - 1) / _stride);
        return true;
    }

    /// <summary>Consecutive buckets of one entity and level share a hash and sit side by side, 8 to a group.</summary>
    private const long GroupMask = 7;

    /// <summary>
    /// The home slot: a hash of the key without its bucket's low bits, plus those bits. A window read walks consecutive
    /// buckets of one key, so they come from a few cache lines instead of one random line each (a 1-hour window over
    /// minute tiles: 8 groups rather than 60 lookups).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(long key) => (int)((((ulong)(key & ~GroupMask) * 0x9E3779B97F4A7C15UL) >> _shift) + (ulong)(key & GroupMask)) & _mask;

    private void Grow()
    {
        var old = _slots;
        int oldCapacity = Capacity;
        int capacity = oldCapacity * 2;
        _slots = new long[capacity * _stride];
        _mask = capacity - 1;
        _shift = 64 - BitOperations.Log2((uint)capacity);
        _count = 0;
        for (int s = 0; s < oldCapacity; s++)
        {
            long key = old[s * _stride];
            if (key != 0)
            {
                int offset = FindOrAdd(key, out _);
                Array.Copy(old, (s * _stride) + 1, _slots, offset, _width);
            }
        }
    }
}
