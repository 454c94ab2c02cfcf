using Freshet.Aggregation.Sketches;
using Freshet.Events;
using Freshet.Hashing;

namespace Freshet.Aggregation;

/// <summary>
/// Number of distinct values of a field (strings or numbers), with a HyperLogLog sketch: exact up to
/// <see cref="HyperLogLog.ExactHashesMax"/> distinct values (the sketch keeps their 64-bit hashes), approximate past
/// that (p = 14: about 0.8 % standard error, under 2 % at the 95th percentile), hence not <see cref="Aggregator.IsExact"/>.
/// State: slot 0 holds a handle into a pool of sketches owned by this instance (0 = nothing seen yet). Values are
/// hashed by content, so sketches written by one process merge with those of another.
/// </summary>
public sealed class DistinctAggregator : PooledSketchAggregator<HyperLogLog>
{
    private readonly StringInterner _strings;

    public DistinctAggregator(StringInterner strings)
        : this(strings, new SketchBuffers())
    {
    }

    private DistinctAggregator(StringInterner strings, SketchBuffers buffers)
        : base(() => new HyperLogLog(buffers))
    {
        ArgumentNullException.ThrowIfNull(strings);
        _strings = strings;
    }

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

    protected override string KindName => "distinct";

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        FeatureValue.Of(state[0] == 0 ? 0 : Math.Round(SketchOf(state)!.Estimate(), MidpointRounding.AwayFromZero));

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

    protected override void MergeSketch(HyperLogLog into, HyperLogLog from) => into.Merge(from);
}
