using System.Buffers;
using System.Buffers.Binary;
using Freshet.Aggregation.Sketches;
using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>
/// The k most frequent values of a string field with their counts, from a Space-Saving summary of
/// <c>capacity</c> counters (more counters, tighter error bounds). Each served item carries
/// <see cref="ItemValue.Error"/>: its true count lies in [count − error, count]. State: slot 0 holds a handle into
/// a pool of summaries owned by this instance (0 = nothing seen yet). Number fields are ignored.
/// </summary>
public sealed class TopKAggregator : Aggregator
{
    // Finish copies the top k to the stack up to this k (24 bytes an entry) and rents beyond it.
    private const int StackTopMax = 256;

    private readonly int _k;
    private readonly SketchPool<SpaceSaving> _pool;

    public TopKAggregator(int k, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, k);
        _k = k;
        _pool = new SketchPool<SpaceSaving>(() => new SpaceSaving(capacity));
    }

    public override int Width => 1;

    public override bool IsExact => false;

    /// <summary>Summaries created by this instance so far, live or free (for tests and metrics).</summary>
    internal int PoolAllocated => _pool.Allocated;

    /// <summary>Summaries released and waiting for reuse.</summary>
    internal int PoolFree => _pool.FreeCount;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (value.Kind == FieldKind.String)
        {
            SummaryFor(state).Add(value.StringId);
        }
    }

    /// <summary>Both states must belong to this instance; across instances, go through <see cref="Write"/> and <see cref="Read"/>.</summary>
    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[0] != 0)
        {
            SummaryFor(into).Merge(_pool.Get(from[0]));
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        if (state[0] == 0)
        {
            return FeatureValue.Of([]);
        }

        (int Item, long Count, long Error)[]? rented = null;
        Span<(int Item, long Count, long Error)> top = _k <= StackTopMax
            ? stackalloc (int, long, long)[_k]
            : (rented = ArrayPool<(int, long, long)>.Shared.Rent(_k));
        int n = _pool.Get(state[0]).CopyTop(top, _k);
        var items = new ItemValue[n];
        for (int i = 0; i < n; i++)
        {
            items[i] = new ItemValue(context.Strings[top[i].Item], top[i].Count, top[i].Error);
        }

        if (rented is not null)
        {
            ArrayPool<(int, long, long)>.Shared.Return(rented);
        }

        return FeatureValue.Of(items);
    }

    public override void Release(Span<long> state)
    {
        if (state[0] != 0)
        {
            _pool.Get(state[0]).Clear();
            _pool.Return(state[0]);
            state[0] = 0;
        }
    }

    /// <summary>
    /// A 4-byte little-endian length, 0 for an empty state, then the summary's own versioned form. Items are still
    /// process-local interned ids (see <see cref="SpaceSaving"/>); mapping them to strings is a later change.
    /// </summary>
    public override void Write(ReadOnlySpan<long> state, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (state[0] == 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(sizeof(int)), 0);
            output.Advance(sizeof(int));
            return;
        }

        var summary = _pool.Get(state[0]);
        var span = output.GetSpan(sizeof(int) + summary.MaxSerializedSize);
        int written = summary.WriteTo(span[sizeof(int)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, written);
        output.Advance(sizeof(int) + written);
    }

    /// <summary>Reads into a state that is empty or holds a summary of this instance (which is overwritten).</summary>
    public override int Read(ReadOnlySpan<byte> input, Span<long> state)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(input);
        if (length < 0 || length > input.Length - sizeof(int))
        {
            SketchEncoding.ThrowCorrupt($"top-k state length {length} with {input.Length - sizeof(int)} bytes left");
        }

        if (length == 0)
        {
            Release(state);
            return sizeof(int);
        }

        if (SpaceSaving.ReadFrom(input.Slice(sizeof(int), length), SummaryFor(state)) != length)
        {
            SketchEncoding.ThrowCorrupt("top-k state length does not match its summary");
        }

        return sizeof(int) + length;
    }

    /// <summary>The summary of a state, or null when it is empty (for tests).</summary>
    internal SpaceSaving? SummaryOf(ReadOnlySpan<long> state) => state[0] == 0 ? null : _pool.Get(state[0]);

    private SpaceSaving SummaryFor(Span<long> state)
    {
        if (state[0] == 0)
        {
            state[0] = _pool.Rent();
        }

        return _pool.Get(state[0]);
    }
}
