using System.Collections.Concurrent;
using System.Text;
using Freshet.Hashing;

namespace Freshet.Events;

/// <summary>
/// Maps strings (event types, field names, field values, entity keys) to dense int ids, once, so the data plane
/// compares and stores ints. Thread-safe: lookups of known strings are lock-free and allocation-free (through an
/// alternate lookup on <see cref="ReadOnlySpan{T}"/> of char); only the first sight of a string allocates it.
/// Id 0 is reserved for "none". Each id also carries a stable 64-bit content hash (XXH64 of the UTF-8 bytes)
/// for sketches and routing that must agree across processes and restarts.
/// </summary>
public sealed class StringInterner
{
    /// <summary>Longest string accepted, in UTF-16 chars; longer values are rejected by the parser.</summary>
    public const int MaxLength = 1024;

    private readonly ConcurrentDictionary<string, int> _ids = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Lock _addLock = new();
    private string[] _strings = new string[1024];
    private ulong[] _hashes = new ulong[1024];
    private int _count = 1;

    public StringInterner()
    {
        _lookup = _ids.GetAlternateLookup<ReadOnlySpan<char>>();
        _strings[0] = string.Empty;
    }

    /// <summary>Number of ids handed out, including the reserved id 0.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The string of an id.</summary>
    public string this[int id] => Volatile.Read(ref _strings)[id];

    /// <summary>The stable content hash of an id's string.</summary>
    public ulong HashOf(int id) => Volatile.Read(ref _hashes)[id];

    public bool TryGet(ReadOnlySpan<char> value, out int id) => _lookup.TryGetValue(value, out id);

    public int GetOrAdd(ReadOnlySpan<char> value)
    {
        if (_lookup.TryGetValue(value, out int id))
        {
            return id;
        }

        return Add(value.ToString());
    }

    public int GetOrAdd(string value) => _ids.TryGetValue(value, out int id) ? id : Add(value);

    /// <summary>Interns UTF-8 bytes without allocating when the string is already known.</summary>
    public int GetOrAddUtf8(ReadOnlySpan<byte> utf8)
    {
        Span<char> chars = utf8.Length <= 256 ? stackalloc char[256] : new char[utf8.Length];
        int n = Encoding.UTF8.GetChars(utf8, chars);
        return GetOrAdd(chars[..n]);
    }

    private int Add(string value)
    {
        lock (_addLock)
        {
            if (_ids.TryGetValue(value, out int existing))
            {
                return existing;
            }

            int id = _count;
            if (id == _strings.Length)
            {
                // Readers index the arrays lock-free; publish grown copies before the new id becomes visible.
                Array.Resize(ref _hashes, id * 2);
                var grown = new string[id * 2];
                Array.Copy(_strings, grown, id);
                Volatile.Write(ref _strings, grown);
            }

            _strings[id] = value;
            _hashes[id] = XxHash64.Hash(Encoding.UTF8.GetBytes(value));
            Volatile.Write(ref _count, id + 1);
            _ids[value] = id;
            return id;
        }
    }
}
