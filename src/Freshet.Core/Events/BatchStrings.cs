using System.Text;
using Freshet.Hashing;

namespace Freshet.Events;

/// <summary>
/// The strings of one <see cref="EventBatch"/> that the process-wide <see cref="StringInterner"/> does not hold: values
/// of fields no state reads, names and types no definition mentions. They live as UTF-8 in one arena, deduplicated,
/// until the batch is cleared, so a stream of unique values that nothing aggregates costs the batch's working size and
/// never the interner's forever. Allocation-free once the arrays have grown to the working size.
/// </summary>
/// <remarks>
/// A batch names these strings by negative ids (<c>~index</c>), so a <see cref="FieldValue.StringId"/> is an interned
/// id when positive, 0 for none, and one of these when negative: ids of the two kinds never compare equal, which is
/// exactly right for filters (a value the interner has never seen equals no literal of a definition).
/// </remarks>
public sealed class BatchStrings
{
    private byte[] _bytes = new byte[4096];
    private int[] _ends = new int[64];
    private ulong[] _hashes = new ulong[64];
    private int[] _table = new int[128]; // Open addressing: index + 1, 0 empty; at most half full.
    private int _count;
    private int _used;

    /// <summary>Strings held.</summary>
    public int Count => _count;

    /// <summary>UTF-8 bytes held (what the arena costs beyond its fixed arrays).</summary>
    public int ByteCount => _used;

    /// <summary>The UTF-8 bytes of local string <paramref name="index"/>.</summary>
    public ReadOnlySpan<byte> Utf8(int index)
    {
        int start = index == 0 ? 0 : _ends[index - 1];
        return _bytes.AsSpan(start, _ends[index] - start);
    }

    /// <summary>The content hash (XXH64 of the UTF-8 bytes) of local string <paramref name="index"/>, as the interner would give it.</summary>
    public ulong Hash(int index) => _hashes[index];

    /// <summary>
    /// Adds <paramref name="utf8"/> (or finds it) and returns its index. Bytes that are not valid UTF-8 are stored as the
    /// interner would store them (invalid sequences replaced by U+FFFD), so promoting the string later gives the same
    /// text and content hash.
    /// </summary>
    public int Add(ReadOnlySpan<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8))
        {
            // Rare and already wrong input: the round trip allocates.
            utf8 = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(utf8));
        }

        ulong hash = XxHash64.Hash(utf8);
        int mask = _table.Length - 1;
        int slot = (int)hash & mask;
        for (int entry; (entry = _table[slot]) != 0; slot = (slot + 1) & mask)
        {
            if (_hashes[entry - 1] == hash && Utf8(entry - 1).SequenceEqual(utf8))
            {
                return entry - 1;
            }
        }

        int index = _count;
        if (index == _ends.Length)
        {
            Array.Resize(ref _ends, index * 2);
            Array.Resize(ref _hashes, index * 2);
        }

        if (_used + utf8.Length > _bytes.Length)
        {
            Array.Resize(ref _bytes, Math.Max(_used + utf8.Length, _bytes.Length * 2));
        }

        utf8.CopyTo(_bytes.AsSpan(_used));
        _used += utf8.Length;
        _ends[index] = _used;
        _hashes[index] = hash;
        _count = index + 1;
        if (_count * 2 > _table.Length)
        {
            Rehash(_table.Length * 2);
        }
        else
        {
            _table[slot] = index + 1;
        }

        return index;
    }

    public void Clear()
    {
        if (_count > 0)
        {
            Array.Clear(_table);
            _count = 0;
            _used = 0;
        }
    }

    private void Rehash(int size)
    {
        _table = new int[size];
        int mask = size - 1;
        for (int i = 0; i < _count; i++)
        {
            int slot = (int)_hashes[i] & mask;
            while (_table[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _table[slot] = i + 1;
        }
    }
}
