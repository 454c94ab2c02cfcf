using System.Buffers;
using Freshet.Aggregation.Sketches;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>
/// Differential tests: random sequences of operations against a plain model. For HyperLogLog the model is a sketch
/// forced dense from the start (one byte per register, nothing clever); for Space-Saving it is a naive O(capacity)
/// implementation with the same eviction order. They catch what example-based tests miss in the sorted-list
/// merging, the open-addressing deletes and the heap.
/// </summary>
public sealed class SketchReferenceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void HyperLogLog_RandomOperations_MatchesDenseModel(int seed)
    {
        var random = new Random(seed);
        var sketches = new HyperLogLog[4];
        var models = new HyperLogLog[4];
        for (int i = 0; i < sketches.Length; i++)
        {
            sketches[i] = new HyperLogLog();
            models[i] = DenseModel();
        }

        var pool = HyperLogLogTests.RandomHashes(random, 6_000);
        for (int step = 0; step < 300; step++)
        {
            int a = random.Next(4);
            int b = random.Next(4);
            switch (random.Next(10))
            {
                case < 6:
                    // A burst of adds drawn from a shared pool, so sketches overlap and repeat themselves.
                    int burst = random.Next(1, random.Next(2) == 0 ? 20 : 700);
                    for (int i = 0; i < burst; i++)
                    {
                        ulong hash = pool[random.Next(pool.Length)];
                        sketches[a].Add(hash);
                        models[a].Add(hash);
                    }

                    break;
                case < 8:
                    sketches[a].Merge(sketches[b]);
                    models[a].Merge(models[b]);
                    break;
                case 8:
                    var buffer = new ArrayBufferWriter<byte>();
                    sketches[a].WriteTo(buffer);
                    Assert.Equal(buffer.WrittenCount, HyperLogLog.ReadFrom(buffer.WrittenSpan, sketches[b]));
                    if (a != b)
                    {
                        models[b].Clear();
                        models[b].ConvertToDense();
                        models[b].Merge(models[a]);
                    }

                    break;
                default:
                    sketches[a].Clear();
                    models[a].Clear();
                    models[a].ConvertToDense();
                    break;
            }

            Assert.True(sketches[a].RegistersEqual(models[a]), $"step {step}");
            Assert.True(sketches[b].RegistersEqual(models[b]), $"step {step}");
            Assert.Equal(models[a].Estimate(), sketches[a].Estimate());
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
