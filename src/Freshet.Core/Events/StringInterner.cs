using System.Buffers;
using System.Text;
using Freshet.Hashing;

namespace Freshet.Events;

/// <summary>
/// Maps strings (event types, field names, field values, entity keys) to dense int ids, once, so the data plane
/// compares and stores ints. Thread-safe: lookups of known strings are lock-free and allocation-free; only the first
/// sight of a string allocates it. Id 0 is reserved for "none". Each id also carries a stable 64-bit content hash
/// (XXH64 of the UTF-8 bytes) for sketches and routing that must agree across processes and restarts.
/// </summary>
/// <remarks>
/// The index is an open-addressing table of <c>long</c> entries, each a 32-bit hash of the string beside its id (0 is
/// empty: ids start at 1), kept at most half full. A writer (under a lock) stores the string before it publishes the
/// entry, and publishes a grown table whole, so a reader never sees an id whose string is not there yet; a reader on
/// an outdated table at worst misses a new string and takes the add path, which looks again under the lock. No
/// per-string node objects: millions of keys cost their strings, an int-sized hash and 16 bytes of table each.
/// </remarks>
public sealed partial class StringInterner
{
    /// <summary>Longest string accepted, in UTF-16 chars; longer values are rejected by the parser.</summary>
    public const int MaxLength = 1024;

    private readonly Lock _addLock = new();
    private long[] _table = new long[2048];
    private string[] _strings = new string[1024];
    private ulong[] _hashes = new ulong[1024];
    private int _count = 1;
    private int _used; // Table entries in use, tombstones of freed ids included.

    public StringInterner()
    {
        _strings[0] = string.Empty;
        StampRef(0) = Pinned;
    }

    /// <summary>Number of ids handed out, including the reserved id 0.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The string of an id.</summary>
    public string this[int id] => Volatile.Read(ref _strings)[id];

    /// <summary>The stable content hash of an id's string.</summary>
    public ulong HashOf(int id) => Volatile.Read(ref _hashes)[id];

    public bool TryGet(ReadOnlySpan<char> value, out int id)
    {
        id = Find(Volatile.Read(ref _table), value, string.GetHashCode(value, StringComparison.Ordinal));
        return id != 0;
    }

    /// <summary>Finds UTF-8 bytes without adding them (see <see cref="BatchStrings"/> for where the others go); allocation-free.</summary>
    public bool TryGetUtf8(ReadOnlySpan<byte> utf8, out int id)
    {
        // A small stack buffer (a bigger one costs its zeroing on every call); long strings borrow from the pool.
        char[]? rented = null;
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[256] : (rented = ArrayPool<char>.Shared.Rent(utf8.Length));
        int n = Encoding.UTF8.GetChars(utf8, chars);
        bool found = TryGet(chars[..n], out id);
        if (rented is not null)
        {
            ArrayPool<char>.Shared.Return(rented);
        }

        return found;
    }

    /// <summary>
    /// Interns <paramref name="value"/> for good (pinned: never reclaimed), as catalogs, models and tools need. Values
    /// of events that state holds go through <see cref="GetOrAddReclaimableUtf8"/> instead.
    /// </summary>
    public int GetOrAdd(ReadOnlySpan<char> value)
    {
        int hash = string.GetHashCode(value, StringComparison.Ordinal);
        int id = Find(Volatile.Read(ref _table), value, hash);
        return id != 0 && StampOf(id) == Pinned ? id : Add(value, hash);
    }

    public int GetOrAdd(string value) => GetOrAdd(value.AsSpan());

    /// <summary>Interns UTF-8 bytes for good (pinned), without allocating when the string is already known and pinned.</summary>
    public int GetOrAddUtf8(ReadOnlySpan<byte> utf8) => GetOrAddUtf8(utf8, Pinned);

    private int GetOrAddUtf8(ReadOnlySpan<byte> utf8, int stamp)
    {
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[256] : new char[utf8.Length];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        var value = chars[..n];
        int hash = string.GetHashCode(value, StringComparison.Ordinal);
        int id = Find(Volatile.Read(ref _table), value, hash);
        if (id != 0 && Stamp(id, stamp))
        {
            return id;
        }

        // The content hash is of the string's own UTF-8, which differs from the bytes given when they are not valid UTF-8
        // (the decoder substitutes U+FFFD): hashing the bytes would give the same string another hash after a restart.
        return Add(value, hash, System.Text.Unicode.Utf8.IsValid(utf8) ? XxHash64.Hash(utf8) : 0, stamp: stamp);
    }

    /// <summary>
    /// Interns a string whose content hash (XXH64 of its UTF-8 bytes) the caller already computed, as a bulk load does
    /// off the lock and in parallel. Returns its id, which is the next one when it is new.
    /// </summary>
    public int GetOrAddHashed(string value, ulong contentHash) =>
        // Mostly new strings: straight to the add path. Loaded ids are reclaimable until something pins them again.
        Add(value, string.GetHashCode(value, StringComparison.Ordinal), contentHash, value, stamp: 0);

    /// <summary>Makes room for <paramref name="count"/> ids in all, so loading that many strings never grows a table.</summary>
    public void EnsureCapacity(int count)
    {
        lock (_addLock)
        {
            if (count > _strings.Length)
            {
                count = Math.Max(count, _strings.Length * 2);
                var hashes = new ulong[count];
                Array.Copy(_hashes, hashes, _count);
                Volatile.Write(ref _hashes, hashes);
                var strings = new string[count];
                Array.Copy(_strings, strings, _count);
                Volatile.Write(ref _strings, strings);
            }

            while (count * 2 > _table.Length)
            {
                Volatile.Write(ref _table, Grown(_table, _table.Length * 2));
            }
        }
    }

    /// <summary>The id of <paramref name="value"/> in <paramref name="table"/>, or 0.</summary>
    private int Find(long[] table, ReadOnlySpan<char> value, int hash)
    {
        int mask = table.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            long entry = Volatile.Read(ref table[i]);
            if (entry == 0)
            {
                return 0;
            }

            if ((int)(entry >> 32) == hash && (int)entry != 0)
            {
                int id = (int)entry;
                // Read the strings after the entry: the writer stored the string before publishing the entry. A freed
                // id's entry is a tombstone (id 0) once removed; one read just before that still names a live id.
                if (Volatile.Read(ref _strings)[id] is { } text && text.AsSpan().SequenceEqual(value))
                {
                    return id;
                }
            }
        }
    }

    private int Add(ReadOnlySpan<char> value, int hash, ulong contentHash = 0, string? text = null, int stamp = Pinned)
    {
        lock (_addLock)
        {
            if ((_used + 1) * 2 > _table.Length)
            {
                // Full of live entries: double. Mostly tombstones of freed ids: rebuild at the same size without them.
                Volatile.Write(ref _table, Grown(_table, (LiveCount + 1) * 4 > _table.Length ? _table.Length * 2 : _table.Length));
                _used = LiveCount;
            }

            // One probe under the lock: it finds the string if another thread added it, or else the slot for it.
            var table = _table;
            var strings = _strings;
            int mask = table.Length - 1;
            int slot = hash & mask;
            for (long entry; (entry = table[slot]) != 0; slot = (slot + 1) & mask)
            {
                if ((int)(entry >> 32) == hash && (int)entry != 0 && strings[(int)entry].AsSpan().SequenceEqual(value))
                {
                    // Known: a pin always wins; a promotion stamps its epoch (the caller serializes it with frees).
                    int found = (int)entry;
                    Raise(ref StampRef(found), stamp);
                    return found;
                }
            }

            int id = _count;
            strings = EnsureRoom(id);
            strings[id] = text ?? value.ToString();
            _hashes[id] = contentHash != 0 ? contentHash : ContentHash(value);
            StampRef(id) = stamp;
            _live++;
            _used++;
            Volatile.Write(ref _count, id + 1);
            Volatile.Write(ref table[slot], ((long)hash << 32) | (uint)id);
            return id;
        }
    }

    /// <summary>Grows the id-indexed arrays (under the add lock) so <paramref name="id"/> fits; returns the strings array.</summary>
    private string[] EnsureRoom(int id)
    {
        if (id == _strings.Length)
        {
            // Readers index the arrays lock-free; publish grown copies before the new id becomes visible.
            var grownHashes = new ulong[id * 2];
            Array.Copy(_hashes, grownHashes, id);
            Volatile.Write(ref _hashes, grownHashes);
            var grownStrings = new string[id * 2];
            Array.Copy(_strings, grownStrings, id);
            Volatile.Write(ref _strings, grownStrings);
        }

        return _strings;
    }

    private static long[] Grown(long[] table, int length)
    {
        var grown = new long[length];
        foreach (long entry in table)
        {
            if ((int)entry != 0) // Tombstones (id 0) are dropped.
            {
                Insert(grown, entry);
            }
        }

        return grown;
    }

    private static void Insert(long[] table, long entry)
    {
        int mask = table.Length - 1;
        int i = (int)(entry >> 32) & mask;
        while (table[i] != 0)
        {
            i = (i + 1) & mask;
        }

        Volatile.Write(ref table[i], entry);
    }

    /// <summary>XXH64 of the UTF-8 bytes, encoded on the stack for all but very long strings.</summary>
    private static ulong ContentHash(ReadOnlySpan<char> value)
    {
        int max = Encoding.UTF8.GetMaxByteCount(value.Length);
        Span<byte> utf8 = max <= 1024 ? stackalloc byte[1024] : new byte[max];
        int n = Encoding.UTF8.GetBytes(value, utf8);
        return XxHash64.Hash(utf8[..n]);
    }
}
