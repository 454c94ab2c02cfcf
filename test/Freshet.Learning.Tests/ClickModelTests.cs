using Freshet.Events;
using Freshet.Learning.Pipeline;

namespace Freshet.Learning.Tests;

public sealed class ClickModelTests
{
    private static readonly ClickModelDefinition Definition = new()
    {
        Name = "carts",
        ExposureEvents = ["view"],
        OutcomeEvents = ["cart"],
        KeyFields = ["user", "item"],
        WindowMs = 60_000,
        Fields = ["user", "item", "category"],
        Crosses = [("user", "category")],
        Ftrl = new() { Alpha = 0.3, PriorRate = 0.05, Bits = 16 },
    };

    [Fact]
    public void Score_OfARequest_EqualsTheScoreOfTheSameExposureInTheStream()
    {
        var strings = new StringInterner();
        var model = new ClickModel(Definition, strings);
        var batch = Stream(strings, 2_000, seed: 1);
        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        var probe = new EventBatch();
        probe.BeginEvent(strings.GetOrAdd("view"), 10_000_000);
        probe.AddString(strings.GetOrAdd("user"), strings.GetOrAdd("u3"));
        probe.AddString(strings.GetOrAdd("item"), strings.GetOrAdd("i7"));
        probe.AddString(strings.GetOrAdd("category"), strings.GetOrAdd("c1"));
        probe.EndEvent();

        double request = model.Score(new Dictionary<string, string> { ["user"] = "u3", ["item"] = "i7", ["category"] = "c1" });
        Assert.Equal(model.Score(probe, 0), request);
        Assert.InRange(request, 0.001, 0.999);
        // A ranking request: the candidate's fields over the context's (its category wins over the context's).
        var ranked = model.Score(new Dictionary<string, string> { ["user"] = "u3", ["category"] = "c2" },
            [new Dictionary<string, string> { ["item"] = "i7", ["category"] = "c1" }, null]);
        Assert.Equal(request, ranked[0]);
        Assert.Equal(model.Score(new Dictionary<string, string> { ["user"] = "u3", ["category"] = "c2" }), ranked[1]);
    }

    [Fact]
    public void Observe_CartsFollowingViewsOfOneCategory_LearnsToRankThatCategoryFirst()
    {
        var strings = new StringInterner();
        var model = new ClickModel(Definition, strings);
        var batch = Stream(strings, 20_000, seed: 2);
        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        model.Flush();
        double hot = model.Score(new Dictionary<string, string> { ["user"] = "new", ["item"] = "new", ["category"] = "c0" });
        double cold = model.Score(new Dictionary<string, string> { ["user"] = "new", ["item"] = "new", ["category"] = "c3" });
        Assert.True(hot > 3 * cold, $"category c0 scores {hot:F4}, c3 {cold:F4}");
        Assert.True(model.Quality.NormalizedEntropy < 0.9, model.Quality.ToString());
        Assert.True(model.Quality.LogLoss < model.ConstantQuality.LogLoss);
        Assert.Equal(model.Labels.Positives + model.Labels.Negatives, model.Quality.Count);
    }

    /// <summary>
    /// A model sampling a quarter of the (user, item) keys learns about a quarter of the exposures, and every positive
    /// it labels is one the full model labels too: a sampled key keeps its exposures and outcomes together.
    /// </summary>
    [Fact]
    public void Observe_SampledKeys_LearnsAShareOfExposuresWithTheirOutcomes()
    {
        var strings = new StringInterner();
        var all = new ClickModel(Definition, strings);
        var quarter = new ClickModel(Definition with { Sample = 0.25 }, strings);
        var batch = Stream(strings, 20_000, seed: 3);
        for (int i = 0; i < batch.Count; i++)
        {
            all.Observe(batch, i);
            quarter.Observe(batch, i);
        }

        all.Flush();
        quarter.Flush();
        double share = (double)quarter.Labels.Exposures / all.Labels.Exposures;
        Assert.InRange(share, 0.2, 0.3);
        Assert.Equal(0, all.Labels.UnmatchedOutcomes);
        Assert.Equal(0, quarter.Labels.UnmatchedOutcomes); // Sampling events rather than keys would orphan outcomes.
        Assert.InRange((double)quarter.Labels.Positives / all.Labels.Positives, 0.15, 0.35);
        Assert.True(quarter.Quality.LogLoss < quarter.ConstantQuality.LogLoss, $"{quarter.Quality}; constant {quarter.ConstantQuality}");
    }

    /// <summary>Views of 4 categories, one event a second; a third of the views in c0 are followed by a cart 20 s later, 2 % elsewhere.</summary>
    private static EventBatch Stream(StringInterner strings, int views, int seed)
    {
        var random = new Random(seed);
        var batch = new EventBatch(views * 2);
        int view = strings.GetOrAdd("view"), cart = strings.GetOrAdd("cart");
        int user = strings.GetOrAdd("user"), item = strings.GetOrAdd("item"), category = strings.GetOrAdd("category");
        var carts = new PriorityQueue<(int User, int Item, int Category), long>();
        for (int n = 0; n < views; n++)
        {
            long time = n * 1000L;
            while (carts.TryPeek(out var due, out long at) && at <= time)
            {
                carts.Dequeue();
                Add(batch, cart, at, due);
            }

            int c = random.Next(4);
            var e = (strings.GetOrAdd($"u{random.Next(300)}"), strings.GetOrAdd($"i{random.Next(1_000)}"), strings.GetOrAdd($"c{c}"));
            Add(batch, view, time, e);
            if (random.NextDouble() < (c == 0 ? 0.33 : 0.02))
            {
                carts.Enqueue(e, time + 20_000);
            }
        }

        return batch;

        void Add(EventBatch b, int type, long time, (int User, int Item, int Category) e)
        {
            b.BeginEvent(type, time);
            b.AddString(user, e.User);
            b.AddString(item, e.Item);
            b.AddString(category, e.Category);
            b.EndEvent();
        }
    }
}
