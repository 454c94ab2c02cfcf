using System.Text;

namespace Freshet.Events;

/// <summary>
/// Reclaiming ids (see docs/STRING-RECLAMATION.md). Every id carries a stamp: <see cref="Pinned"/> (catalogs, models,
/// tools: never freed), <see cref="Freed"/>, or the promotion epoch that last handed it to state. The engine frees ids
/// no checkpoint it keeps references, that no live tile references, and that no event promoted since the newest
/// checkpoint began; a freed id leaves the index at once (the string, seen again, gets a new id) and its string is
/// dropped once every reader that might have read the id before (<see cref="EnterRead"/>) has left. Freed ids are never
/// handed out again, so an id means one string for the life of the data directory.
/// </summary>
public sealed partial class StringInterner
{
    /// <summary>Stamp of an id that is never freed.</summary>
    public const int Pinned = int.MaxValue;

    /// <summary>Stamp of a freed id.</summary>
    public const int Freed = int.MinValue;

    private const int StampChunkBits = 16;
    private const long Tombstone = 1L << 32; // A removed entry: some hash, id 0 (never a real entry).

    // In fixed chunks that never move, so a stamp written lock-free is never lost to a copy made by a growing add.
    private int[][] _stampChunks = [new int[1 << StampChunkBits]];
    private int _live;
    private int _epoch = 1;
    private long _readEpoch;
    private readonly long[] _readers = new long[16]; // Two counters, [0] and [8], on separate cache lines.
    private List<int>? _retired; // Freed ids whose strings wait for the readers of their epoch to leave.
    private long _retiredEpoch;

    /// <summary>Ids in use: handed out and not freed (id 0 excluded).</summary>
    public int LiveCount => Volatile.Read(ref _live);

    /// <summary>The epoch promotions stamp now (see <see cref="AdvanceEpoch"/>).</summary>
    public int Epoch => Volatile.Read(ref _epoch);

    /// <summary>
    /// Starts a new promotion epoch and returns it: an id whose stamp is below it was not promoted since. The engine
    /// calls it when a checkpoint begins, serialized with promotions.
    /// </summary>
    public int AdvanceEpoch() => Interlocked.Increment(ref _epoch);

    /// <summary>An id's stamp: <see cref="Pinned"/>, <see cref="Freed"/> or the epoch of its last promotion.</summary>
    public int StampOf(int id) => Volatile.Read(ref Volatile.Read(ref _stampChunks)[id >> StampChunkBits][id & ((1 << StampChunkBits) - 1)]);

    /// <summary>True when the id was freed.</summary>
    public bool IsFreed(int id) => StampOf(id) == Freed;

    /// <summary>
    /// Interns UTF-8 bytes that state will hold (an accepted event's entity key or aggregated value), stamping the id
    /// with the current epoch unless it is pinned. Callers serialize it with <see cref="Free"/> (the engine's ingest lock).
    /// </summary>
    public int GetOrAddReclaimableUtf8(ReadOnlySpan<byte> utf8) => GetOrAddUtf8(utf8, Volatile.Read(ref _epoch));

    /// <summary>As <see cref="GetOrAddReclaimableUtf8"/>, for text (a number key's decimal form).</summary>
    public int GetOrAddReclaimable(ReadOnlySpan<char> value)
    {
        int stamp = Volatile.Read(ref _epoch);
        int hash = string.GetHashCode(value, StringComparison.Ordinal);
        int id = Find(Volatile.Read(ref _table), value, hash);
        return id != 0 && Stamp(id, stamp) ? id : Add(value, hash, stamp: stamp);
    }

    /// <summary>
    /// Finds UTF-8 bytes only when their id is pinned. Parsers use it: a batch parsed outside the ingest lock must not
    /// hold a reclaimable id, which could be freed before the batch is ingested; such strings stay local to the batch
    /// until the engine promotes them under its lock.
    /// </summary>
    public bool TryGetPinnedUtf8(ReadOnlySpan<byte> utf8, out int id)
    {
        if (TryGetUtf8(utf8, out id) && StampOf(id) == Pinned)
        {
            return true;
        }

        id = 0;
        return false;
    }

    /// <summary>
    /// Registers a reader of ids it found (a query rendering strings): strings of ids freed while it reads stay
    /// readable until it leaves. Allocation-free; dispose the scope when done.
    /// </summary>
    public ReadScope EnterRead()
    {
        while (true)
        {
            long epoch = Volatile.Read(ref _readEpoch);
            Interlocked.Increment(ref _readers[(epoch & 1) * 8]);
            if (Volatile.Read(ref _readEpoch) == epoch)
            {
                return new ReadScope(this, epoch);
            }

            Interlocked.Decrement(ref _readers[(epoch & 1) * 8]);
        }
    }

    /// <summary>A registered reader (see <see cref="EnterRead"/>).</summary>
    public readonly struct ReadScope(StringInterner strings, long epoch) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref strings._readers[(epoch & 1) * 8]);
    }

    /// <summary>
    /// Frees the <paramref name="candidates"/> that are neither pinned, nor freed, nor promoted in or after
    /// <paramref name="beforeEpoch"/>, and returns them (ascending when the candidates were). Serialize with promotions.
    /// Frees nothing while readers that may hold the ids freed last time are still reading (those strings are dropped
    /// first, here): at most one freed generation waits for its readers.
    /// </summary>
    public List<int> Free(ReadOnlySpan<int> candidates, int beforeEpoch)
    {
        lock (_addLock)
        {
            if (!ReleaseRetired())
            {
                return [];
            }

            var freed = new List<int>();
            foreach (int id in candidates)
            {
                int stamp = id > 0 && id < _count ? StampOf(id) : Pinned;
                if (stamp != Pinned && stamp != Freed && stamp < beforeEpoch)
                {
                    Remove(id);
                    freed.Add(id);
                }
            }

            if (freed.Count > 0)
            {
                _retired = freed;
                _retiredEpoch = _readEpoch;
                // Readers entering from now on count under the other counter; none of them can find these ids.
                Interlocked.Increment(ref _readEpoch);
            }

            return freed;
        }
    }

    /// <summary>Drops the strings of the last freed ids when their readers have left; false while some still read.</summary>
    public bool ReleaseRetired()
    {
        lock (_addLock)
        {
            if (_retired is null)
            {
                return true;
            }

            if (Volatile.Read(ref _readers[(_retiredEpoch & 1) * 8]) != 0)
            {
                return false;
            }

            var strings = _strings;
            foreach (int id in _retired)
            {
                strings[id] = null!;
            }

            _retired = null;
            return true;
        }
    }

    /// <summary>Loading a journal: frees a live id at once (no reader exists yet). False when it is not live.</summary>
    public bool FreeLoaded(int id)
    {
        lock (_addLock)
        {
            int stamp = id > 0 && id < _count ? StampOf(id) : Freed;
            if (stamp == Freed)
            {
                return false;
            }

            Remove(id);
            _strings[id] = null!;
            return true;
        }
    }

    /// <summary>Loading a compacted journal: hands out the next id as already freed (a hole); returns it.</summary>
    public int AddFreed()
    {
        lock (_addLock)
        {
            int id = _count;
            EnsureRoom(id);
            _strings[id] = null!;
            StampRef(id) = Freed;
            Volatile.Write(ref _count, id + 1);
            return id;
        }
    }

    /// <summary>The UTF-8 bytes of a live id's string (journal writing); empty for a freed one.</summary>
    internal static byte[] Utf8Of(string? text) => text is null ? [] : Encoding.UTF8.GetBytes(text);

    private void Remove(int id)
    {
        string text = _strings[id];
        int hash = string.GetHashCode(text, StringComparison.Ordinal);
        var table = _table;
        int mask = table.Length - 1;
        for (int i = hash & mask; table[i] != 0; i = (i + 1) & mask)
        {
            if ((int)table[i] == id)
            {
                Volatile.Write(ref table[i], Tombstone);
                break;
            }
        }

        StampRef(id) = Freed;
        _live--;
    }

    /// <summary>Marks a known id with a promotion stamp lock-free; false when a pin must be taken under the lock.</summary>
    private bool Stamp(int id, int stamp)
    {
        ref int slot = ref Volatile.Read(ref _stampChunks)[id >> StampChunkBits][id & ((1 << StampChunkBits) - 1)];
        if (stamp == Pinned && Volatile.Read(ref slot) != Pinned)
        {
            return false;
        }

        Raise(ref slot, stamp);
        return true;
    }

    /// <summary>
    /// Raises a stamp to <paramref name="stamp"/> (a pin, or a later epoch), never lowering it: a compare-and-swap, so a
    /// pin taken under the lock is never overwritten by a promotion stamping lock-free at the same moment.
    /// </summary>
    private static void Raise(ref int slot, int stamp)
    {
        int current = Volatile.Read(ref slot);
        while (current != Pinned && current != Freed && current < stamp)
        {
            int seen = Interlocked.CompareExchange(ref slot, stamp, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>The stamp slot of an id, its chunk created if needed (under the add lock for new ids).</summary>
    private ref int StampRef(int id)
    {
        var chunks = Volatile.Read(ref _stampChunks);
        int chunk = id >> StampChunkBits;
        if (chunk >= chunks.Length)
        {
            var grown = new int[Math.Max(chunk + 1, chunks.Length * 2)][];
            Array.Copy(chunks, grown, chunks.Length);
            for (int i = chunks.Length; i < grown.Length; i++)
            {
                grown[i] = new int[1 << StampChunkBits];
            }

            Volatile.Write(ref _stampChunks, grown);
            chunks = grown;
        }

        return ref chunks[chunk][id & ((1 << StampChunkBits) - 1)];
    }
}
