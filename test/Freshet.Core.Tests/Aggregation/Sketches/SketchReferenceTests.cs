using System.Buffers;
using Freshet.Aggregation.Sketches;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>
/// Differential tests: random sequences of operations against plain models. For HyperLogLog the model is a set of the
/// distinct hashes (the exact tier must hold exactly that set while it has at most T members) together with a sketch
/// forced dense from the start (one byte per register, nothing clever), whose registers every form must match; for
/// Space-Saving it is a naive O(capacity) implementation with the same eviction order. They catch what example-based
/// tests miss in the sorted-list merging, the tier switches, the open-addressing deletes and the heap.
/// </summary>
public sealed class SketchReferenceTests
{
    [Theory]
    [InlineData(1, 700)]
    [InlineData(2, 700)]
    [InlineData(3, 700)]
    [InlineData(4, 40)] // small bursts keep the sketches around T, where merges cross it
    [InlineData(5, 40)]
    [InlineData(6, 40)]
    public void HyperLogLog_RandomOperations_MatchesSetAndDenseModel(int seed, int burstMax)
    {
        var random = new Random(seed);
        var sketches = new HyperLogLog[4];
        var models = new HyperLogLog[4];
        var sets = new HashSet<ulong>[4];
        for (int i = 0; i < sketches.Length; i++)
        {
            sketches[i] = new HyperLogLog();
            models[i] = DenseModel();
            sets[i] = [];
        }

        var pool = HyperLogLogTests.RandomHashes(random, 6_000);
        for (int step = 0; step < 400; step++)
        {
            int a = random.Next(4);
            int b = random.Next(4);
            switch (random.Next(10))
            {
                case < 6:
                    // A burst of adds drawn from a shared pool, so sketches overlap and repeat themselves.
                    int burst = random.Next(1, random.Next(2) == 0 ? 20 : burstMax);
                    for (int i = 0; i < burst; i++)
                    {
                        ulong hash = pool[random.Next(pool.Length)];
                        sketches[a].Add(hash);
                        models[a].Add(hash);
                        sets[a].Add(hash);
                    }

                    break;
                case < 8:
                    sketches[a].Merge(sketches[b]);
                    models[a].Merge(models[b]);
                    sets[a].UnionWith(sets[b]);
                    break;
                case 8:
                    var buffer = new ArrayBufferWriter<byte>();
                    sketches[a].WriteTo(buffer);
                    Assert.Equal(buffer.WrittenCount, HyperLogLog.ReadFrom(buffer.WrittenSpan, sketches[b]));
                    if (a != b)
                    {
                        models[b] = DenseModel();
                        models[b].Merge(models[a]);
                        sets[b] = [.. sets[a]];
                    }

                    break;
                default:
                    sketches[a].Clear();
                    models[a] = DenseModel();
                    sets[a].Clear();
                    break;
            }

            AssertMatches(sketches[a], models[a], sets[a], $"step {step}, sketch {a}");
            AssertMatches(sketches[b], models[b], sets[b], $"step {step}, sketch {b}");
        }
    }

    private static void AssertMatches(HyperLogLog sketch, HyperLogLog model, HashSet<ulong> set, string where)
    {
        Assert.True(sketch.RegistersEqual(model), $"{where}: registers");
        if (set.Count <= HyperLogLog.ExactHashesMax)
        {
            Assert.True(sketch.IsExact, $"{where}: {set.Count} distinct values, expected the exact tier");
            Assert.Equal(set.Order(), sketch.ExactHashes.ToArray());
            Assert.Equal(set.Count, sketch.Estimate());
        }
        else
        {
            Assert.False(sketch.IsExact, $"{where}: {set.Count} distinct values, expected registers");
            Assert.Equal(model.Estimate(), sketch.Estimate());
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 7)]
    [InlineData(4, 64)]
    [InlineData(5, 100)]
    public void SpaceSaving_RandomOperations_MatchesNaiveModel(int seed, int capacity)
    {
        var random = new Random(seed);
        var summary = new SpaceSaving(capacity);
        var other = new SpaceSaving(capacity);
        var model = new List<(int Item, long Count, long Error)>();
        for (int step = 0; step < 20_000; step++)
        {
            int item = random.Next(capacity * 3);
            long weight = random.Next(1, 5);
            summary.Add(item, weight);
            NaiveAdd(model, capacity, item, weight);
            other.Add(random.Next(capacity * 3), weight);

            if (step % 1_000 == 999)
            {
                // A merge result is a summary like any other: the model continues from the merged contents.
                summary.Merge(other);
                model = Contents(summary);
                other.Clear();
            }

            if (step % 97 == 0 || step % 1_000 == 999)
            {
                Assert.Equal(Sorted(model), Contents(summary));

                // A partial read selects the same leaders in the same order.
                int k = random.Next(1, capacity + 1);
                var top = new (int Item, long Count, long Error)[k];
                int n = summary.CopyTop(top, k);
                Assert.Equal(Sorted(model).Take(k), top.Take(n));
            }
        }
    }

    private static HyperLogLog DenseModel()
    {
        var model = new HyperLogLog();
        model.ConvertToDense();
        return model;
    }

    /// <summary>Space-Saving as written in the paper, scanning for the minimum; ties evict the larger item.</summary>
    private static void NaiveAdd(List<(int Item, long Count, long Error)> model, int capacity, int item, long weight)
    {
        int held = model.FindIndex(entry => entry.Item == item);
        if (held >= 0)
        {
            model[held] = (item, model[held].Count + weight, model[held].Error);
            return;
        }

        if (model.Count < capacity)
        {
            model.Add((item, weight, 0));
            return;
        }

        int victim = 0;
        for (int i = 1; i < model.Count; i++)
        {
            if (model[i].Count < model[victim].Count || (model[i].Count == model[victim].Count && model[i].Item > model[victim].Item))
            {
                victim = i;
            }
        }

        model[victim] = (item, model[victim].Count + weight, model[victim].Count);
    }

    private static List<(int Item, long Count, long Error)> Contents(SpaceSaving summary)
    {
        var all = new (int Item, long Count, long Error)[summary.Count];
        int n = summary.CopyTop(all, all.Length);
        return all.Take(n).ToList();
    }

    private static List<(int Item, long Count, long Error)> Sorted(List<(int Item, long Count, long Error)> model) =>
        model.OrderByDescending(entry => entry.Count).ThenBy(entry => entry.Item).ToList();
}
