using Freshet.Events;

namespace Freshet.Aggregation;

/// <summary>Number of events. State: one long. Exact.</summary>
public sealed class CountAggregator : Aggregator
{
    public override int Width => 1;

    public override void Update(Span<long> state, in FieldValue value, long timeMs) => state[0]++;

    public override void Merge(Span<long> into, ReadOnlySpan<long> from) => into[0] += from[0];

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) => FeatureValue.Of(state[0]);
}

/// <summary>
/// Sum of a numeric field. State: one double. Floating-point, so merge order can change the last bits. Values outside
/// <see cref="NumberRange"/> are left out: ingest rejects them, and with every value inside it no sum of any number of
/// events can overflow (the proof is on <see cref="NumberRange"/>), so a window can never read infinity.
/// </summary>
public sealed class SumAggregator : Aggregator
{
    public override int Width => 1;

    public override bool IsExact => false;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (NumberRange.IsAccepted(value.Number))
        {
            state[0] = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(state[0]) + value.Number);
        }
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from) =>
        into[0] = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(into[0]) + BitConverter.Int64BitsToDouble(from[0]));

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        FeatureValue.Of(BitConverter.Int64BitsToDouble(state[0]));
}
