using System.Buffers;
using System.Buffers.Binary;
using Freshet.Aggregation.Sketches;

namespace Freshet.Aggregation;

/// <summary>
/// The plumbing shared by aggregators whose state is a variable-size sketch: slot 0 holds a handle into a pool of
/// sketches owned by this instance (0 = nothing seen yet), released sketches are cleared and reused, and the binary
/// form is a 4-byte little-endian length (0 for an empty state) followed by the sketch's own versioned form.
/// Both states of a <see cref="Merge"/> must belong to one instance; across instances, go through Write and Read.
/// </summary>
public abstract class PooledSketchAggregator<TSketch> : Aggregator
    where TSketch : class, IPooledSketch<TSketch>
{
    private readonly SketchPool<TSketch> _pool;

    protected PooledSketchAggregator(Func<TSketch> create) => _pool = new SketchPool<TSketch>(create);

    public sealed override int Width => 1;

    public override bool IsExact => false;

    public sealed override bool IsInline => false;

    /// <summary>Sketches created by this instance so far, live or free (for tests and metrics).</summary>
    internal int PoolAllocated => _pool.Allocated;

    /// <summary>Sketches released and waiting for reuse.</summary>
    internal int PoolFree => _pool.FreeCount;

    /// <summary>What the aggregator is called in corruption messages ("distinct", "top-k").</summary>
    protected abstract string KindName { get; }

    public sealed override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[0] != 0)
        {
            MergeSketch(SketchFor(into), _pool.Get(from[0]));
        }
    }

    public sealed override void Release(Span<long> state)
    {
        if (state[0] != 0)
        {
            _pool.Get(state[0]).Clear();
            _pool.Return(state[0]);
            state[0] = 0;
        }
    }

    public sealed override void Write(ReadOnlySpan<long> state, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (state[0] == 0)
        {
            BinaryPrimitives.WriteInt32LittleEndian(output.GetSpan(sizeof(int)), 0);
            output.Advance(sizeof(int));
            return;
        }

        var sketch = _pool.Get(state[0]);
        var span = output.GetSpan(sizeof(int) + sketch.MaxSerializedSize);
        int written = sketch.WriteTo(span[sizeof(int)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span, written);
        output.Advance(sizeof(int) + written);
    }

    /// <summary>Reads into a state that is empty or holds a sketch of this instance (which is overwritten).</summary>
    public sealed override int Read(ReadOnlySpan<byte> input, Span<long> state)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(input);
        if (length < 0 || length > input.Length - sizeof(int))
        {
            SketchEncoding.ThrowCorrupt($"{KindName} state length {length} with {input.Length - sizeof(int)} bytes left");
        }

        if (length == 0)
        {
            Release(state);
            return sizeof(int);
        }

        if (TSketch.ReadFrom(input.Slice(sizeof(int), length), SketchFor(state)) != length)
        {
            SketchEncoding.ThrowCorrupt($"{KindName} state length does not match its sketch");
        }

        return sizeof(int) + length;
    }

    /// <summary>Folds <paramref name="from"/> into <paramref name="into"/>.</summary>
    protected abstract void MergeSketch(TSketch into, TSketch from);

    /// <summary>The sketch of a state, or null when it is empty.</summary>
    internal TSketch? SketchOf(ReadOnlySpan<long> state) => state[0] == 0 ? null : _pool.Get(state[0]);

    /// <summary>The sketch of a state, renting one when the state is empty.</summary>
    protected TSketch SketchFor(Span<long> state)
    {
        if (state[0] == 0)
        {
            state[0] = _pool.Rent();
        }

        return _pool.Get(state[0]);
    }
}
