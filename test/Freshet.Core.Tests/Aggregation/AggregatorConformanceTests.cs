using System.Buffers;
using Freshet.Aggregation;
using Freshet.Events;

namespace Freshet.Tests.Aggregation;

/// <summary>
/// One suite every aggregator passes: merge is commutative and associative, empty is the identity, the merge of
/// any split of a stream equals the state of the whole stream, and serialization round-trips. Exact aggregators
/// must agree exactly; floating-point ones to 1e-9 relative. Seeded random streams, many splits.
/// </summary>
public sealed class AggregatorConformanceTests
{
    private static readonly StringInterner Strings = new();

    public static TheoryData<string> Aggregators => new(Cases.Keys);

    private static readonly Dictionary<string, Func<Aggregator>> Cases = new()
    {
        ["count"] = () => new CountAggregator(),
        ["sum"] = () => new SumAggregator(),
        ["mean"] = () => new MeanAggregator(),
        ["min"] = () => new ExtremeAggregator(maximum: false),
        ["max"] = () => new ExtremeAggregator(maximum: true),
        ["variance"] = () => new VarianceAggregator(standardDeviation: false),
        ["stddev"] = () => new VarianceAggregator(standardDeviation: true),
        ["last"] = () => new LastAggregator(),
        ["last_k"] = () => new LastKAggregator(7),
        ["decayed_sum"] = () => new DecayedSumAggregator(3_600_000, sumsField: true),
        ["distinct"] = () => new DistinctAggregator(Strings),
        ["top_k"] = () => new TopKAggregator(5, 64),
    };

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void Merge_OfAnySplit_EqualsTheWhole(string name)
    {
        for (int seed = 0; seed < 40; seed++)
        {
            var aggregator = Cases[name]();
            var events = Stream(seed, name);
            var whole = Fold(aggregator, events);
            var random = new Random(seed);
            var parts = Split(events, 1 + random.Next(5), random).Select(p => Fold(aggregator, p)).ToList();
            var merged = New(aggregator);
            foreach (var part in parts.OrderBy(_ => random.Next()))
            {
                aggregator.Merge(merged, part);
            }

            AssertSame(aggregator, whole, merged, $"{name} seed {seed}");
        }
    }

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void Merge_IsCommutativeAssociativeWithEmptyIdentity(string name)
    {
        for (int seed = 0; seed < 30; seed++)
        {
            var aggregator = Cases[name]();
            var random = new Random(seed);
            var parts = Split(Stream(seed, name), 3, random).Select(p => Fold(aggregator, p)).ToList();
            var (a, b, c) = (parts[0], parts[1], parts[2]);

            AssertSame(aggregator, Merged(aggregator, a, b), Merged(aggregator, b, a), $"{name} commutative, seed {seed}");
            AssertSame(aggregator, Merged(aggregator, Merged(aggregator, a, b), c), Merged(aggregator, a, Merged(aggregator, b, c)), $"{name} associative, seed {seed}");
            AssertSame(aggregator, a, Merged(aggregator, a, New(aggregator)), $"{name} identity (right), seed {seed}");
            AssertSame(aggregator, a, Merged(aggregator, New(aggregator), a), $"{name} identity (left), seed {seed}");
        }
    }

    [Theory]
    [MemberData(nameof(Aggregators))]
    public void WriteRead_AnyState_RoundTrips(string name)
    {
        for (int seed = 0; seed < 20; seed++)
        {
            var aggregator = Cases[name]();
            var state = Fold(aggregator, Stream(seed, name).Take(seed * 7).ToList());
            var written = new ArrayBufferWriter<byte>();
            aggregator.Write(state, written);
            var restored = New(aggregator);
            int read = aggregator.Read(written.WrittenSpan, restored);
            Assert.Equal(written.WrittenCount, read);
            AssertSame(aggregator, state, restored, $"{name} round trip, seed {seed}");
            var again = new ArrayBufferWriter<byte>();
            aggregator.Write(restored, again);
            Assert.True(written.WrittenSpan.SequenceEqual(again.WrittenSpan), $"{name}: writing a read state gives the same bytes");
        }
    }

    private sealed record Input(FieldValue Value, long TimeMs);

    private static List<Input> Stream(int seed, string name)
    {
        var random = new Random(seed);
        int n = 1 + random.Next(300);
        // Top-k is exact only while distinct items fit its capacity (64): use 40 items. Times collide on purpose.
        int vocabulary = name == "top_k" ? 40 : 500;
        bool strings = name is "distinct" or "top_k" or "last" or "last_k";
        return Enumerable.Range(0, n).Select(_ =>
        {
            long time = 1_700_000_000_000 + random.Next(10_000);
            var value = strings && random.Next(4) != 0
                ? FieldValue.OfString(1, Strings.GetOrAdd($"v{random.Next(vocabulary)}"))
                : FieldValue.OfNumber(1, Math.Round((random.NextDouble() * 200) - 50, 3));
            if (name == "top_k")
            {
                value = FieldValue.OfString(1, Strings.GetOrAdd($"v{(int)Math.Floor(Math.Pow(random.NextDouble(), 2) * vocabulary)}"));
            }

            return new Input(value, time);
        }).ToList();
    }

    private static List<List<Input>> Split(List<Input> events, int parts, Random random)
    {
        var result = Enumerable.Range(0, parts).Select(_ => new List<Input>()).ToList();
        foreach (var e in events)
        {
            result[random.Next(parts)].Add(e);
        }

        return result;
    }

    private static long[] New(Aggregator aggregator)
    {
        var state = new long[aggregator.Width];
        aggregator.Init(state);
        return state;
    }

    private static long[] Fold(Aggregator aggregator, IEnumerable<Input> events)
    {
        var state = New(aggregator);
        foreach (var e in events)
        {
            aggregator.Update(state, e.Value, e.TimeMs);
        }

        return state;
    }

    private static long[] Merged(Aggregator aggregator, long[] a, long[] b)
    {
        var state = New(aggregator);
        aggregator.Merge(state, a);
        aggregator.Merge(state, b);
        return state;
    }

    private static void AssertSame(Aggregator aggregator, long[] expected, long[] actual, string where)
    {
        var context = new FinishContext(1_700_000_010_000, Strings);
        var x = aggregator.Finish(expected, context);
        var y = aggregator.Finish(actual, context);
        Assert.True(x.Kind == y.Kind, $"{where}: {x} vs {y}");
        double tolerance = aggregator.IsExact ? 0 : 1e-9;
        Assert.True(Close(x.Number, y.Number, tolerance), $"{where}: {x} vs {y}");
        Assert.Equal(x.Items?.Length, y.Items?.Length);
        for (int i = 0; i < (x.Items?.Length ?? 0); i++)
        {
            Assert.True(x.Items![i].Item == y.Items![i].Item && Close(x.Items[i].Value, y.Items[i].Value, tolerance) && x.Items[i].TimeMs == y.Items[i].TimeMs,
                $"{where}: item {i}: {x} vs {y}");
        }
    }

    private static bool Close(double a, double b, double tolerance) =>
        (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) <= tolerance * Math.Max(1, Math.Abs(a));
}
