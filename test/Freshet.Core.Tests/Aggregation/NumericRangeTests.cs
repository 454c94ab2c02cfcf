using Freshet.Aggregation;
using Freshet.Events;

namespace Freshet.Tests.Aggregation;

/// <summary>
/// A window must never be poisoned by one huge value: a value outside <see cref="NumberRange"/> is left out of every
/// numeric state, and values inside it cannot overflow however many events and merges there are.
/// </summary>
public sealed class NumericRangeTests
{
    private static readonly StringInterner Strings = new();
    private const long T = 1_700_000_000_000;

    public static TheoryData<string> Numeric => new(Cases.Keys);

    private static readonly Dictionary<string, Func<Aggregator>> Cases = new()
    {
        ["sum"] = () => new SumAggregator(),
        ["mean"] = () => new MeanAggregator(),
        ["min"] = () => new ExtremeAggregator(maximum: false),
        ["max"] = () => new ExtremeAggregator(maximum: true),
        ["variance"] = () => new VarianceAggregator(standardDeviation: false),
        ["stddev"] = () => new VarianceAggregator(standardDeviation: true),
        ["decayed_sum"] = () => new DecayedSumAggregator(3_600_000, sumsField: true),
    };

    [Theory]
    [MemberData(nameof(Numeric))]
    public void Update_ValuesOutsideTheRange_AreLeftOutAndTheStateEqualsTheOneWithoutThem(string name)
    {
        var aggregator = Cases[name]();
        var poisoned = New(aggregator);
        var clean = New(aggregator);
        foreach (double x in new[] { 5, 1.7e308, 1.7e308, double.PositiveInfinity, -1e101, double.NaN, 7 })
        {
            aggregator.Update(poisoned, FieldValue.OfNumber(1, x), T);
        }

        aggregator.Update(clean, FieldValue.OfNumber(1, 5), T);
        aggregator.Update(clean, FieldValue.OfNumber(1, 7), T);

        var context = new FinishContext(T, Strings);
        double value = aggregator.Finish(poisoned, context).Number;
        Assert.True(double.IsFinite(value), $"{name} of 5, 7 and out-of-range values is {value}");
        Assert.Equal(aggregator.Finish(clean, context).Number, value);
    }

    [Theory]
    [MemberData(nameof(Numeric))]
    public void MergeAndUpdate_ExtremeValuesInsideTheRangeAndHugeCounts_StayFinite(string name)
    {
        var aggregator = Cases[name]();
        var state = New(aggregator);
        for (int i = 0; i < 1000; i++)
        {
            aggregator.Update(state, FieldValue.OfNumber(1, i % 2 == 0 ? NumberRange.MaxMagnitude : -NumberRange.MaxMagnitude), T + i);
        }

        // Doubling by self-merge 52 times reaches about 4.5e18 events, near the most a long count can hold.
        var copy = new long[aggregator.Width];
        for (int i = 0; i < 52; i++)
        {
            state.CopyTo(copy, 0);
            aggregator.Merge(state, copy);
            aggregator.Update(state, FieldValue.OfNumber(1, NumberRange.MaxMagnitude), T + 1000 + i);
            double value = aggregator.Finish(state, new FinishContext(T + 2000, Strings)).Number;
            Assert.True(double.IsFinite(value), $"{name} after {i + 1} doublings is {value}");
        }
    }

    private static long[] New(Aggregator aggregator)
    {
        var state = new long[aggregator.Width];
        aggregator.Init(state);
        return state;
    }
}
