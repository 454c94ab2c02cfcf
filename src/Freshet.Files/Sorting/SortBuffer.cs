using Freshet.Files.Mapping;

namespace Freshet.Files.Sorting;

/// <summary>
/// Holds every mapped event of a file so it can be replayed in time order (<c>--sort</c>): fields and value bytes in
/// chunks (no array past a few MiB, nothing copied as it grows), one small entry per event, and a stable sort by
/// time (ties keep file order). Bounded: <see cref="TryAdd"/> refuses events past the limit, and the pipeline then
/// writes what it holds as a sorted run to disk (<see cref="SortRuns"/>) and starts again.
/// </summary>
public sealed class SortBuffer(int maxEvents)
{
    private const int FieldChunkLength = 64 * 1024;
    private const int ValueChunkLength = 1024 * 1024;

    private readonly List<MappedField[]> _fieldChunks = [];
    private readonly List<byte[]> _valueChunks = [];
    private Entry[] _entries = new Entry[1024];
    private int _count;
    private int _fieldUsed = FieldChunkLength;
    private int _valueUsed = ValueChunkLength;

    public int Count => _count;

    public int MaxEvents => maxEvents;

    /// <summary>Bytes held, roughly, for the summary.</summary>
    public long Bytes => ((long)_fieldChunks.Count * FieldChunkLength * 24) + _valueChunks.Sum(c => (long)c.Length) + ((long)_entries.Length * 56);

    public long MinTimeMs { get; private set; } = long.MaxValue;

    public long MaxTimeMs { get; private set; } = long.MinValue;

    /// <summary>Copies <paramref name="e"/> in; false when the buffer already holds <see cref="MaxEvents"/>.</summary>
    public bool TryAdd(MappedEvent e)
    {
        if (_count == maxEvents)
        {
            return false;
        }

        if (_count == _entries.Length)
        {
            Array.Resize(ref _entries, Math.Min(_entries.Length * 2, Math.Max(maxEvents, 1024)));
        }

        var fields = e.Fields;
        if (_fieldUsed + fields.Length > FieldChunkLength)
        {
            _fieldChunks.Add(new MappedField[Math.Max(FieldChunkLength, fields.Length)]);
            _fieldUsed = 0;
        }

        int valueLength = e.Values.Length + e.Type.Length + e.Id.Length;
        if (_valueUsed + valueLength > ValueChunkLength)
        {
            _valueChunks.Add(new byte[Math.Max(ValueChunkLength, valueLength)]);
            _valueUsed = 0;
        }

        var fieldChunk = _fieldChunks[^1];
        fields.CopyTo(fieldChunk.AsSpan(_fieldUsed));
        var valueChunk = _valueChunks[^1].AsSpan(_valueUsed);
        e.Values.CopyTo(valueChunk);
        e.Type.CopyTo(valueChunk[e.Values.Length..]);
        e.Id.CopyTo(valueChunk[(e.Values.Length + e.Type.Length)..]);

        _entries[_count++] = new Entry(e.TimeMs, e.Line, _fieldChunks.Count - 1, _fieldUsed, fields.Length,
            _valueChunks.Count - 1, _valueUsed, e.Values.Length, e.Type.Length, e.Id.Length);
        _fieldUsed += fields.Length;
        _valueUsed += valueLength;
        MinTimeMs = Math.Min(MinTimeMs, e.TimeMs);
        MaxTimeMs = Math.Max(MaxTimeMs, e.TimeMs);
        return true;
    }

    /// <summary>Empties the buffer for the next run of a file larger than it (see <see cref="SortRuns"/>), keeping its entry array.</summary>
    public void Clear()
    {
        _fieldChunks.Clear();
        _valueChunks.Clear();
        _count = 0;
        _fieldUsed = FieldChunkLength;
        _valueUsed = ValueChunkLength;
        MinTimeMs = long.MaxValue;
        MaxTimeMs = long.MinValue;
    }

    /// <summary>Sorts by time; events with the same time keep their order in the file (lines only grow).</summary>
    public void Sort() => _entries.AsSpan(0, _count).Sort(static (a, b) =>
        a.TimeMs != b.TimeMs ? a.TimeMs.CompareTo(b.TimeMs) : a.Line.CompareTo(b.Line));

    public long TimeOf(int index) => _entries[index].TimeMs;

    public MappedEvent Get(int index)
    {
        ref readonly var entry = ref _entries[index];
        var values = _valueChunks[entry.ValueChunk].AsSpan(entry.ValueStart, entry.ValueLength + entry.TypeLength + entry.IdLength);
        return new MappedEvent(entry.Line, entry.TimeMs,
            values.Slice(entry.ValueLength, entry.TypeLength),
            values.Slice(entry.ValueLength + entry.TypeLength, entry.IdLength),
            _fieldChunks[entry.FieldChunk].AsSpan(entry.FieldStart, entry.FieldCount),
            values[..entry.ValueLength]);
    }

    private readonly record struct Entry(
        long TimeMs, long Line, int FieldChunk, int FieldStart, int FieldCount, int ValueChunk, int ValueStart, int ValueLength, int TypeLength, int IdLength);
}
