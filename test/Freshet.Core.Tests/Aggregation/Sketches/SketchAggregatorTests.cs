using System.Buffers;
using Freshet.Aggregation;
using Freshet.Aggregation.Sketches;
using Freshet.Events;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>The two pooled-sketch aggregators on <c>long[1]</c> states: update, merge, finish, release, write/read.</summary>
public sealed class SketchAggregatorTests
{
    private readonly StringInterner _strings = new();
    private readonly int _field;

    public SketchAggregatorTests() => _field = _strings.GetOrAdd("item");

    [Fact]
    public void DistinctFinish_StringsAndNumbers_CountsEachValueOnce()
    {
        var aggregator = new DistinctAggregator(_strings);
        var state = new long[1];
        for (int i = 0; i < 300; i++)
        {
            aggregator.Update(state, Text($"user-{i % 100}"), 0);
            aggregator.Update(state, FieldValue.OfNumber(_field, i % 50), 0);
        }

        // −0.0 equals 0.0 and an absent field is no value at all.
        aggregator.Update(state, FieldValue.OfNumber(_field, -0.0), 0);
        aggregator.Update(state, default, 0);

        Assert.Equal(150, Finish(aggregator, state).Number);
        Assert.False(aggregator.IsExact);
    }

    [Fact]
    public void DistinctFinish_EmptyOrAbsentOnly_ZeroWithoutSketch()
    {
        var aggregator = new DistinctAggregator(_strings);
        var state = new long[1];
        aggregator.Update(state, default, 0);

        Assert.Equal(0, state[0]);
        Assert.Equal(0, Finish(aggregator, state).Number);
        Assert.Equal(0, aggregator.PoolAllocated);
    }

    [Fact]
    public void DistinctMerge_EmptyFromOrInto_CopiesWithoutSharing()
    {
        var aggregator = new DistinctAggregator(_strings);
        var from = new long[1];
        var into = new long[1];
        aggregator.Merge(into, from);
        Assert.Equal(0, into[0]);

        aggregator.Update(from, Text("a"), 0);
        aggregator.Update(from, Text("b"), 0);
        aggregator.Merge(into, from);
        Assert.NotEqual(0, into[0]);
        Assert.NotEqual(from[0], into[0]);
        Assert.True(aggregator.SketchOf(into)!.SameContents(aggregator.SketchOf(from)!));

        aggregator.Update(into, Text("c"), 0);
        Assert.Equal(3, Finish(aggregator, into).Number);
        Assert.Equal(2, Finish(aggregator, from).Number);
    }

    [Fact]
    public void DistinctRelease_ThenUpdate_ReusesClearedSketch()
    {
        var aggregator = new DistinctAggregator(_strings);
        var state = new long[1];
        for (int i = 0; i < 5_000; i++)
        {
            aggregator.Update(state, FieldValue.OfNumber(_field, i), 0);
        }

        aggregator.Release(state);
        Assert.Equal(0, state[0]);
        Assert.Equal(1, aggregator.PoolFree);

        var next = new long[1];
        aggregator.Update(next, Text("only"), 0);
        Assert.Equal(1, aggregator.PoolAllocated);
        Assert.Equal(0, aggregator.PoolFree);
        Assert.Equal(1, Finish(aggregator, next).Number);
        Assert.True(aggregator.SketchOf(next)!.IsExact);
    }

    [Fact]
    public void DistinctFinish_ValuesSharingARegister_CountsEachValue()
    {
        // Find two numbers whose hashes pick the same one of the 16,384 registers (a birthday search: a few hundred
        // tries), the case that made registers count three values as two.
        var seen = new Dictionary<ulong, int>();
        int first = 0;
        int second = 0;
        for (int i = 0; second == 0; i++)
        {
            ulong register = DistinctAggregator.HashNumber(i) >> (64 - HyperLogLog.Precision);
            if (!seen.TryAdd(register, i))
            {
                (first, second) = (seen[register], i);
            }
        }

        var aggregator = new DistinctAggregator(_strings);
        var state = new long[1];
        foreach (int value in new[] { first, second, -1, first })
        {
            aggregator.Update(state, FieldValue.OfNumber(_field, value), 0);
        }

        Assert.Equal(3, Finish(aggregator, state).Number);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(10_000)]
    public void DistinctWriteRead_RoundTripsThroughAnotherInstance(int values)
    {
        var writer = new DistinctAggregator(_strings);
        var state = new long[1];
        for (int i = 0; i < values; i++)
        {
            writer.Update(state, FieldValue.OfNumber(_field, i), 0);
        }

        var buffer = new ArrayBufferWriter<byte>();
        writer.Write(state, buffer);
        var reader = new DistinctAggregator(_strings);
        var read = new long[1];
        Assert.Equal(buffer.WrittenCount, reader.Read(buffer.WrittenSpan, read));

        Assert.Equal(values == 0, read[0] == 0);
        Assert.Equal(Finish(writer, state).Number, Finish(reader, read).Number);
    }

    [Fact]
    public void TopKFinish_Strings_TopItemsWithCountsInOrder()
    {
        var aggregator = new TopKAggregator(k: 2, capacity: 8);
        var state = new long[1];
        foreach (string item in new[] { "b", "a", "c", "a", "b", "a", "c" })
        {
            aggregator.Update(state, Text(item), 0);
        }

        aggregator.Update(state, FieldValue.OfNumber(_field, 1), 0);
        aggregator.Update(state, default, 0);

        var items = Finish(aggregator, state).Items!;
        Assert.Equal(new[] { new ItemValue("a", 3), new ItemValue("b", 2) }, items);
        Assert.False(aggregator.IsExact);
    }

    [Fact]
    public void TopKFinish_Empty_EmptyList()
    {
        var aggregator = new TopKAggregator(k: 3, capacity: 10);
        var state = new long[1];
        aggregator.Update(state, FieldValue.OfNumber(_field, 1), 0);

        var value = Finish(aggregator, state);
        Assert.Equal(FeatureValueKind.Items, value.Kind);
        Assert.Empty(value.Items!);
        Assert.Equal(0, aggregator.PoolAllocated);
    }

    [Fact]
    public void TopKMerge_IntoEmptyAndIntoFull_SumsCounts()
    {
        var aggregator = new TopKAggregator(k: 3, capacity: 10);
        var a = new long[1];
        var b = new long[1];
        var total = new long[1];
        aggregator.Update(a, Text("x"), 0);
        aggregator.Update(a, Text("y"), 0);
        aggregator.Update(b, Text("x"), 0);
        aggregator.Update(b, Text("z"), 0);

        aggregator.Merge(total, a);
        aggregator.Merge(total, b);
        aggregator.Merge(total, new long[1]);

        Assert.Equal(new[] { new ItemValue("x", 2), new ItemValue("y", 1), new ItemValue("z", 1) }, Finish(aggregator, total).Items!);
        Assert.Equal(new[] { new ItemValue("x", 1), new ItemValue("y", 1) }, Finish(aggregator, a).Items!);
    }

    [Fact]
    public void TopKRelease_ThenUpdate_ReusesClearedSummary()
    {
        var aggregator = new TopKAggregator(k: 3, capacity: 10);
        var state = new long[1];
        aggregator.Update(state, Text("old"), 0);
        aggregator.Release(state);
        Assert.Equal(0, state[0]);

        var next = new long[1];
        aggregator.Update(next, Text("new"), 0);
        Assert.Equal(1, aggregator.PoolAllocated);
        Assert.Equal(new[] { new ItemValue("new", 1) }, Finish(aggregator, next).Items!);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    public void TopKWriteRead_RoundTrips(int events)
    {
        var aggregator = new TopKAggregator(k: 5, capacity: 20);
        var random = new Random(events);
        var state = new long[1];
        for (int i = 0; i < events; i++)
        {
            aggregator.Update(state, Text($"v{random.Next(60)}"), 0);
        }

        var buffer = new ArrayBufferWriter<byte>();
        aggregator.Write(state, buffer);
        var read = new long[1];
        Assert.Equal(buffer.WrittenCount, aggregator.Read(buffer.WrittenSpan, read));

        Assert.Equal(Finish(aggregator, state).Items!, Finish(aggregator, read).Items!);
        if (events > 0)
        {
            Assert.True(aggregator.SummaryOf(read)!.ContentEquals(aggregator.SummaryOf(state)!));
        }
    }

    private FieldValue Text(string value) => FieldValue.OfString(_field, _strings.GetOrAdd(value));

    private FeatureValue Finish(Aggregator aggregator, long[] state) => aggregator.Finish(state, new FinishContext(0, _strings));
}
