using System.Buffers;
using Freshet.Aggregation.Sketches;
using Xunit.Abstractions;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>Exactness below capacity, recall and error bounds on a skewed stream, merge and serialization.</summary>
public sealed class SpaceSavingTests(ITestOutputHelper output)
{
    private const int ZipfItems = 50_000;
    private const int ZipfEvents = 200_000;
    private const int Capacity = 200;
    private const int TopK = 20;

    [Theory]
    [InlineData(1)]
    [InlineData(150)]
    [InlineData(200)]
    public void Add_DistinctItemsWithinCapacity_CountsExact(int distinct)
    {
        var random = new Random(distinct);
        var truth = new Dictionary<int, long>();
        var summary = new SpaceSaving(Capacity);
        for (int i = 0; i < 5_000; i++)
        {
            int item = 1000 + random.Next(distinct);
            long weight = random.Next(1, 4);
            summary.Add(item, weight);
            truth[item] = truth.GetValueOrDefault(item) + weight;
        }

        var top = new (int Item, long Count, long Error)[Capacity];
        int n = summary.CopyTop(top, Capacity);
        Assert.Equal(truth.Count, n);
        for (int i = 0; i < n; i++)
        {
            Assert.Equal(truth[top[i].Item], top[i].Count);
            Assert.Equal(0, top[i].Error);
            Assert.True(i == 0 || top[i - 1].Count > top[i].Count || (top[i - 1].Count == top[i].Count && top[i - 1].Item < top[i].Item));
        }
    }

    [Fact]
    public void Add_ZipfStream_TopRecallAndBoundsHold()
    {
        var (events, truth) = ZipfStream(new Random(1));
        var summary = new SpaceSaving(Capacity);
        foreach (int item in events)
        {
            summary.Add(item);
        }

        double recall = TopRecall(summary, truth);
        output.WriteLine($"single summary: top-{TopK} recall {recall:P1}");
        Assert.True(recall >= 0.95, $"top-{TopK} recall {recall:P1}, expected ≥ 95 %");
        AssertBoundsHold(summary, truth);
    }

    [Fact]
    public void Merge_OfFourSplits_TopRecallAndBoundsHold()
    {
        var random = new Random(2);
        var (events, truth) = ZipfStream(random);
        var parts = new[] { new SpaceSaving(Capacity), new SpaceSaving(Capacity), new SpaceSaving(Capacity), new SpaceSaving(Capacity) };
        foreach (int item in events)
        {
            parts[random.Next(4)].Add(item);
        }

        var merged = new SpaceSaving(Capacity);
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        double recall = TopRecall(merged, truth);
        output.WriteLine($"merged from 4 splits: top-{TopK} recall {recall:P1}");
        Assert.True(recall >= 0.95, $"top-{TopK} recall after merge {recall:P1}, expected ≥ 95 %");
        AssertBoundsHold(merged, truth);
    }

    [Theory]
    [InlineData(50, 80)]     // neither full
    [InlineData(50, 5_000)]  // one full
    [InlineData(5_000, 9_000)] // both full
    public void Merge_TwoSummaries_Commutative(int eventsA, int eventsB)
    {
        var random = new Random(eventsA + eventsB);
        var a = SummaryOf(random, eventsA, Capacity);
        var b = SummaryOf(random, eventsB, Capacity);

        var ab = Copy(a);
        ab.Merge(b);
        var ba = Copy(b);
        ba.Merge(a);

        Assert.True(ab.ContentEquals(ba));
        Assert.Equal(Bytes(ab), Bytes(ba));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(30)]
    [InlineData(20_000)]
    public void WriteTo_ThenReadFrom_RoundTrips(int events)
    {
        var summary = SummaryOf(new Random(events), events, Capacity);
        var buffer = new ArrayBufferWriter<byte>();
        summary.WriteTo(buffer);
        buffer.Write<byte>([0xEE]);

        var read = new SpaceSaving(Capacity);
        read.Add(7, 3); // ReadFrom replaces whatever was there
        int consumed = SpaceSaving.ReadFrom(buffer.WrittenSpan, read);

        Assert.Equal(buffer.WrittenCount - 1, consumed);
        Assert.True(read.ContentEquals(summary));

        // The reloaded heap must evict like the original.
        summary.Add(123_456, 1);
        read.Add(123_456, 1);
        Assert.True(read.ContentEquals(summary));
    }

    [Fact]
    public void ReadFrom_RepeatedItem_Throws()
    {
        // Version 1, capacity 4, two entries that are the same item with the same count.
        var read = new SpaceSaving(4);
        Assert.Throws<InvalidDataException>(() => SpaceSaving.ReadFrom([1, 4, 2, 5, 3, 0, 5, 3, 0], read));
    }

    [Fact]
    public void Clear_AfterUse_ReusableAsFresh()
    {
        var random = new Random(9);
        var summary = SummaryOf(random, 10_000, Capacity);
        summary.Clear();
        Assert.Equal(0, summary.Count);
        Assert.Equal(0, summary.CopyTop(new (int, long, long)[TopK], TopK));

        var fresh = new SpaceSaving(Capacity);
        for (int i = 0; i < 3_000; i++)
        {
            int item = random.Next(500);
            summary.Add(item);
            fresh.Add(item);
        }

        Assert.True(summary.ContentEquals(fresh));
    }

    [Fact]
    public void Add_SteadyState_AllocatesNothing()
    {
        var random = new Random(10);
        var items = new int[100_000];
        for (int i = 0; i < items.Length; i++)
        {
            items[i] = random.Next(10_000);
        }

        var summary = new SpaceSaving(Capacity);
        foreach (int item in items.AsSpan(0, 1_000))
        {
            summary.Add(item);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        foreach (int item in items)
        {
            summary.Add(item);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>A Zipf(1.1) stream over randomly numbered items, and the true count per item.</summary>
    private static (int[] Events, long[] Truth) ZipfStream(Random random)
    {
        var cumulative = new double[ZipfItems];
        double total = 0;
        for (int rank = 0; rank < ZipfItems; rank++)
        {
            total += Math.Pow(rank + 1, -1.1);
            cumulative[rank] = total;
        }

        // Item ids are a shuffle of 1..n, so id order says nothing about frequency.
        var ids = Enumerable.Range(1, ZipfItems).ToArray();
        random.Shuffle(ids);
        var events = new int[ZipfEvents];
        var truth = new long[ZipfItems + 1];
        for (int i = 0; i < events.Length; i++)
        {
            int rank = Array.BinarySearch(cumulative, random.NextDouble() * total);
            rank = rank < 0 ? ~rank : rank;
            events[i] = ids[Math.Min(rank, ZipfItems - 1)];
            truth[events[i]]++;
        }

        return (events, truth);
    }

    private static double TopRecall(SpaceSaving summary, long[] truth)
    {
        var trueTop = Enumerable.Range(0, truth.Length).OrderByDescending(i => truth[i]).ThenBy(i => i).Take(TopK).ToHashSet();
        var top = new (int Item, long Count, long Error)[TopK];
        int n = summary.CopyTop(top, TopK);
        return top.Take(n).Count(entry => trueTop.Contains(entry.Item)) / (double)TopK;
    }

    private static void AssertBoundsHold(SpaceSaving summary, long[] truth)
    {
        var all = new (int Item, long Count, long Error)[summary.Count];
        summary.CopyTop(all, all.Length);
        foreach (var (item, count, error) in all)
        {
            Assert.InRange(count, truth[item], truth[item] + error);
        }
    }

    private static SpaceSaving SummaryOf(Random random, int events, int capacity)
    {
        var summary = new SpaceSaving(capacity);
        for (int i = 0; i < events; i++)
        {
            // Skewed enough that a full summary still has clear leaders.
            summary.Add((int)Math.Min(random.NextDouble() * random.NextDouble() * 2_000, 1_999), random.Next(1, 3));
        }

        return summary;
    }

    private static SpaceSaving Copy(SpaceSaving summary)
    {
        var copy = new SpaceSaving(summary.Capacity);
        copy.Merge(summary);
        return copy;
    }

    private static byte[] Bytes(SpaceSaving summary)
    {
        var buffer = new ArrayBufferWriter<byte>();
        summary.WriteTo(buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
