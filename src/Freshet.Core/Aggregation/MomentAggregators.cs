using Freshet.Events;

namespace Freshet.Aggregation;

// The numeric aggregators below skip a value outside NumberRange (ingest has already rejected it; a producer that
// bypasses the parser must not poison a window for its whole lifetime). Inside the range nothing can overflow: the bounds
// on sums, Welford's M2 and Chan's merge term are worked out on NumberRange.

/// <summary>Mean of a numeric field. State: count and sum. Missing when the window has no events.</summary>
public sealed class MeanAggregator : Aggregator
{
    public override int Width => 2;

    public override bool IsExact => false;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (!NumberRange.IsAccepted(value.Number))
        {
            return;
        }

        state[0]++;
        state[1] = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(state[1]) + value.Number);
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        into[0] += from[0];
        into[1] = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(into[1]) + BitConverter.Int64BitsToDouble(from[1]));
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        state[0] == 0 ? FeatureValue.Missing : FeatureValue.Of(BitConverter.Int64BitsToDouble(state[1]) / state[0]);
}

/// <summary>
/// Population variance (or its square root) of a numeric field. State: count, mean and M2, updated with Welford's
/// method and merged with Chan et al.'s parallel formula, which stays accurate where sum-of-squares would cancel.
/// </summary>
public sealed class VarianceAggregator(bool standardDeviation) : Aggregator
{
    public override int Width => 3;

    public override bool IsExact => false;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (!NumberRange.IsAccepted(value.Number))
        {
            return;
        }

        long n = ++state[0];
        double mean = BitConverter.Int64BitsToDouble(state[1]);
        double m2 = BitConverter.Int64BitsToDouble(state[2]);
        double delta = value.Number - mean;
        mean += delta / n;
        m2 += delta * (value.Number - mean);
        state[1] = BitConverter.DoubleToInt64Bits(mean);
        state[2] = BitConverter.DoubleToInt64Bits(m2);
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        long nb = from[0];
        if (nb == 0)
        {
            return;
        }

        long na = into[0];
        if (na == 0)
        {
            from[..3].CopyTo(into);
            return;
        }

        double meanA = BitConverter.Int64BitsToDouble(into[1]);
        double meanB = BitConverter.Int64BitsToDouble(from[1]);
        long n = na + nb;
        double delta = meanB - meanA;
        double mean = meanA + (delta * nb / n);
        double m2 = BitConverter.Int64BitsToDouble(into[2]) + BitConverter.Int64BitsToDouble(from[2]) + (delta * delta * na * nb / n);
        into[0] = n;
        into[1] = BitConverter.DoubleToInt64Bits(mean);
        into[2] = BitConverter.DoubleToInt64Bits(m2);
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context)
    {
        if (state[0] == 0)
        {
            return FeatureValue.Missing;
        }

        double variance = Math.Max(0, BitConverter.Int64BitsToDouble(state[2]) / state[0]);
        return FeatureValue.Of(standardDeviation ? Math.Sqrt(variance) : variance);
    }
}

/// <summary>Minimum or maximum of a numeric field. State: a has-value flag and the value. Exact.</summary>
public sealed class ExtremeAggregator(bool maximum) : Aggregator
{
    public override int Width => 2;

    public override void Update(Span<long> state, in FieldValue value, long timeMs)
    {
        if (NumberRange.IsAccepted(value.Number))
        {
            Fold(state, value.Number);
        }
    }

    public override void Merge(Span<long> into, ReadOnlySpan<long> from)
    {
        if (from[0] != 0)
        {
            Fold(into, BitConverter.Int64BitsToDouble(from[1]));
        }
    }

    public override FeatureValue Finish(ReadOnlySpan<long> state, in FinishContext context) =>
        state[0] == 0 ? FeatureValue.Missing : FeatureValue.Of(BitConverter.Int64BitsToDouble(state[1]));

    private void Fold(Span<long> state, double x)
    {
        double current = BitConverter.Int64BitsToDouble(state[1]);
        if (state[0] == 0 || (maximum ? x > current : x < current))
        {
            state[0] = 1;
            state[1] = BitConverter.DoubleToInt64Bits(x);
        }
    }
}
