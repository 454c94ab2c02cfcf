using System.Buffers;
using System.Buffers.Binary;
using Freshet.Aggregation.Sketches;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Aggregation;

/// <summary>
/// Number of distinct values of a field (strings or numbers), with a HyperLogLog sketch: exact up to
/// <see cref="HyperLogLog.ExactHashesMax"/> distinct values (the sketch keeps their 64-bit hashes), approximate past
/// that (p = 14: about 0.8 % standard error, under 2 % at the 95th percentile), hence not <see cref="IsExact"/>.
/// State: slot 0 holds a handle into a pool of sketches owned by this instance (0 = nothing seen yet). Values are
/// hashed by content, so sketches written by one process merge with those of another.
/// </summary>
public sealed class DistinctAggregator : Aggregator
{
    private readonly StringInterner _strings;
    private readonly SketchPool<HyperLogLog> _pool = new(static () => new HyperLogLog());

    public DistinctAggregator(StringInterner strings)
    {
        ArgumentNullException.ThrowIfNull(strings);
        _strings = strings;
    }

    public override int Width => 1;

    public override bool IsExact => false;

    /// <summary>Sketches created by this instance so far, live or free (for tests and metrics).</summary>
    internal int PoolAllocated => _pool.Allocated;

    /// <summary>Sketches released and waiting for reuse.</summary>
    internal int PoolFree => _pool.FreeCount;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        ulong hash;
        switch (value.Kind)
        {
            case FieldKind.String:
                hash = _strings.HashOf(value.StringId);
                break;
            case FieldKind.Number:
                hash = HashNumber(value.Number);
                break;
            default:
                return;
        }

        SketchFor(state).Add(hash);
    }

    /// <summary>Both states must belong to this instance; across instances, go through <see cref="Write"/> and <see cref="Read"/>.</summary>
    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[0] != 0)
        {
            SketchFor(into).Merge(_pool.Get(from[0]));
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        FeatureValue.Of(state[0] == 0 ? 0 : Math.Round(_pool.Get(state[0]).Estimate(), MidpointRounding.AwayFromZero));

    public override void Release(Span<long> state)
    {
        if (state[0] != 0)
        {
            _pool.Get(state[0]).Clear();
            _pool.Return(state[0]);
            state[0] = 0;
        }
    }

    /// <summary>A 4-byte little-endian length, 0 for an empty state, then the sketch's own versioned form.</summary>
    public override void Write(ReadOnlySpan<long> state, IBufferWriter<byte> output)
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
    public override int Read(ReadOnlySpan<byte> input, Span<long> state)
    {
        int length = BinaryPrimitives.ReadInt32LittleEndian(input);
        if (length < 0 || length > input.Length - sizeof(int))
        {
            SketchEncoding.ThrowCorrupt($"distinct state length {length} with {input.Length - sizeof(int)} bytes left");
        }

        if (length == 0)
        {
            Release(state);
            return sizeof(int);
        }

        if (HyperLogLog.ReadFrom(input.Slice(sizeof(int), length), SketchFor(state)) != length)
        {
            SketchEncoding.ThrowCorrupt("distinct state length does not match its sketch");
        }

        return sizeof(int) + length;
    }

    /// <summary>The sketch of a state, or null when it is empty (for tests).</summary>
    internal HyperLogLog? SketchOf(ReadOnlySpan<long> state) => state[0] == 0 ? null : _pool.Get(state[0]);

    /// <summary>
    /// Hashes a number by its bits. −0.0 and 0.0 compare equal, so they must count as one value; NaNs come in many
    /// bit patterns and are folded into one for the same reason.
    /// </summary>
    internal static ulong HashNumber(double number)
    {
        if (number == 0)
        {
            number = 0;
        }
        else if (double.IsNaN(number))
        {
            number = double.NaN;
        }

        return XxHash64.Hash(BitConverter.DoubleToUInt64Bits(number));
    }

    private HyperLogLog SketchFor(Span<long> state)
    {
        if (state[0] == 0)
        {
            state[0] = _pool.Rent();
        }

        return _pool.Get(state[0]);
    }
}
