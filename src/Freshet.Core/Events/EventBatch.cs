using System.Text;

namespace Freshet.Events;

/// <summary>
/// A reusable batch of events in flat arrays: one <see cref="EventRecord"/> per event and one shared array of
/// <see cref="FieldValue"/>s. Parsing or generating into a cleared batch allocates nothing once the arrays have
/// grown to the working size, which is what keeps steady-state ingest free of per-event garbage.
/// Not thread-safe while being filled; read-only (and shareable between shards) once handed to the engine.
/// </summary>
public sealed class EventBatch
{
    private EventRecord[] _events;
    private FieldValue[] _fields;
    private int[] _fieldEnds;
    private int[] _sourceIndexes;
    private int _count;
    private int _fieldCount;
    private int _openStart = -1;
    private int _openType;
    private long _openTime;
    private ulong _openIdHash;
    private readonly BatchStrings _local = new();

    public EventBatch(int eventCapacity = 1024, int fieldsPerEvent = 6)
    {
        _events = new EventRecord[eventCapacity];
        _fieldEnds = new int[eventCapacity];
        _sourceIndexes = new int[eventCapacity];
        _fields = new FieldValue[eventCapacity * fieldsPerEvent];
    }

    /// <summary>Number of complete events.</summary>
    public int Count => _count;

    /// <summary>The events, valid up to <see cref="Count"/>.</summary>
    public ReadOnlySpan<EventRecord> Events => _events.AsSpan(0, _count);

    /// <summary>Arbitrary per-batch tag set by the producer (for example the first log offset).</summary>
    public long Tag { get; set; }

    public ref readonly EventRecord this[int index] => ref _events[index];

    /// <summary>Position of event <paramref name="index"/> in the request it was parsed from (see <see cref="EndEvent"/>).</summary>
    public int SourceIndexOf(int index) => _sourceIndexes[index];

    /// <summary>The fields of event <paramref name="index"/>.</summary>
    public ReadOnlySpan<FieldValue> FieldsOf(int index)
    {
        int start = _events[index].FieldStart;
        return _fields.AsSpan(start, _fieldEnds[index] - start);
    }

    /// <summary>Finds a field of an event by interned name id; a linear scan, since events have a handful of fields.</summary>
    public bool TryGetField(int index, int nameId, out FieldValue value)
    {
        int start = _events[index].FieldStart;
        int end = _fieldEnds[index];
        var fields = _fields;
        for (int i = start; i < end; i++)
        {
            if (fields[i].NameId == nameId)
            {
                value = fields[i];
                return true;
            }
        }

        value = default;
        return false;
    }

    public void Clear()
    {
        _local.Clear();
        _count = 0;
        _fieldCount = 0;
        _openStart = -1;
        Tag = 0;
    }

    /// <summary>Starts an event; add its fields, then <see cref="EndEvent"/> or <see cref="AbandonEvent"/>.</summary>
    public void BeginEvent(int typeId, long timeMs, ulong idHash = 0)
    {
        _openStart = _fieldCount;
        _openType = typeId;
        _openTime = timeMs;
        _openIdHash = idHash;
    }

    /// <summary>Sets the type, time or id of the open event (the parser learns them in any order).</summary>
    public void SetHeader(int typeId, long timeMs, ulong idHash)
    {
        _openType = typeId;
        _openTime = timeMs;
        _openIdHash = idHash;
    }

    public void AddString(int nameId, int valueId) => AddField(FieldValue.OfString(nameId, valueId));

    public void AddNumber(int nameId, double value) => AddField(FieldValue.OfNumber(nameId, value));

    public void AddField(in FieldValue field)
    {
        if (_fieldCount == _fields.Length)
        {
            Array.Resize(ref _fields, _fields.Length * 2);
        }

        _fields[_fieldCount++] = field;
    }

    /// <summary>
    /// Completes the open event. <paramref name="sourceIndex"/> is its position in what the client sent (the parser
    /// skips invalid events, so positions in the batch and in the request differ); by default its batch position.
    /// </summary>
    public void EndEvent(int sourceIndex = -1)
    {
        if (_count == _events.Length)
        {
            Array.Resize(ref _events, _events.Length * 2);
            Array.Resize(ref _fieldEnds, _events.Length);
            Array.Resize(ref _sourceIndexes, _events.Length);
        }

        _events[_count] = new EventRecord(_openType, _openTime, _openIdHash, _openStart);
        _fieldEnds[_count] = _fieldCount;
        _sourceIndexes[_count] = sourceIndex < 0 ? _count : sourceIndex;
        _count++;
        _openStart = -1;
    }

    /// <summary>Drops the open event and its fields (it was invalid); the events before it are kept.</summary>
    public void AbandonEvent()
    {
        if (_openStart >= 0)
        {
            _fieldCount = _openStart;
            _openStart = -1;
        }
    }

    /// <summary>Drops the events from <paramref name="count"/> on (the parser re-reads a body it first took for a JSON array).</summary>
    internal void TruncateTo(int count)
    {
        if (count < _count)
        {
            _fieldCount = _events[count].FieldStart;
            _count = count;
        }

        _openStart = -1;
    }

    /// <summary>
    /// Appends a copy of event <paramref name="index"/> of another batch; its local strings (see <see cref="BatchStrings"/>)
    /// are copied into this batch's.
    /// </summary>
    public void CopyFrom(EventBatch source, int index)
    {
        ref readonly var e = ref source[index];
        BeginEvent(Adopt(source, e.TypeId), e.TimeMs, e.IdHash);
        foreach (ref readonly var f in source.FieldsOf(index))
        {
            AddField(f.Kind == FieldKind.String ? FieldValue.OfString(Adopt(source, f.NameId), Adopt(source, f.StringId))
                : f.NameId < 0 ? FieldValue.OfNumber(Adopt(source, f.NameId), f.Number) : f);
        }

        EndEvent();
    }

    /// <summary>
    /// Moves the local string values of event <paramref name="index"/>'s fields that <paramref name="keep"/> names
    /// (by interned name id) into <paramref name="strings"/>: the fields whose values state holds (entity keys, last
    /// values, top-k items), which must have ids for as long as state holds them (reclaimable ids, stamped with the
    /// current epoch: call under the engine's ingest lock). Other local strings stay with the batch.
    /// </summary>
    public void Promote(int index, StringInterner strings, ReadOnlySpan<bool> keep)
    {
        int start = _events[index].FieldStart;
        int end = _fieldEnds[index];
        var fields = _fields;
        for (int i = start; i < end; i++)
        {
            ref readonly var f = ref fields[i];
            if (f.StringId < 0 && (uint)f.NameId < (uint)keep.Length && keep[f.NameId])
            {
                fields[i] = FieldValue.OfString(f.NameId, strings.GetOrAddReclaimableUtf8(_local.Utf8(~f.StringId)));
            }
        }
    }

    /// <summary>Strings of this batch that the interner does not hold (named by negative ids).</summary>
    public BatchStrings LocalStrings => _local;

    /// <summary>Adds a string to this batch's local strings and returns its (negative) id.</summary>
    public int AddLocalString(ReadOnlySpan<byte> utf8) => ~_local.Add(utf8);

    /// <summary>
    /// The pinned id of <paramref name="utf8"/> if <paramref name="strings"/> holds one, else a string local to this batch.
    /// Never a reclaimable id: the batch may wait outside the ingest lock while such an id is freed.
    /// </summary>
    public int IdOf(ReadOnlySpan<byte> utf8, StringInterner strings) => strings.TryGetPinnedUtf8(utf8, out int id) ? id : AddLocalString(utf8);

    /// <summary>The content hash of a string id of this batch: interned (positive) or local (negative).</summary>
    public ulong HashOf(int stringId, StringInterner strings) => stringId >= 0 ? strings.HashOf(stringId) : _local.Hash(~stringId);

    /// <summary>The text of a string id of this batch (allocates for a local one).</summary>
    public string StringOf(int stringId, StringInterner strings) =>
        stringId >= 0 ? strings[stringId] : Encoding.UTF8.GetString(_local.Utf8(~stringId));

    private int Adopt(EventBatch source, int id) => id >= 0 ? id : ~_local.Add(source._local.Utf8(~id));
}
