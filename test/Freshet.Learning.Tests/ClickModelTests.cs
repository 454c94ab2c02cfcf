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

    private const long Day = 86_400_000;

    private static readonly ClickModelDefinition AdClicks = new()
    {
        Name = "ad_clicks",
        ExposureEvents = ["impression"],
        OutcomeEvents = ["click"],
        KeyFields = ["request"],
        WindowMs = Day,
        Fields = ["user", "ad"],
        Ftrl = new() { Alpha = 0.1, PriorRate = 0.003, Bits = 18 },
    };

    /// <summary>
    /// Right after a stream whose last day of impressions still has open windows, the figures are those of the
    /// impressions a day old or more, each with its final label: the same positives and count as the data has for
    /// them, not the early positives of the last day over the negatives of the days before (which made the base rate
    /// half as high again as the data's).
    /// </summary>
    [Fact]
    public void Quality_RightAfterTheStream_IsThatOfTheImpressionsWhoseWindowClosed()
    {
        var strings = new StringInterner();
        var model = new ClickModel(AdClicks, strings);
        var (batch, truth) = AdStream(strings, impressions: 60_000, days: 3, seed: 5);
        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        long now = batch[batch.Count - 1].TimeMs;
        var closed = truth.Where(t => t.ExposedAtMs + Day <= now).ToList();
        Assert.Equal(closed.Count, model.Quality.Count);
        Assert.Equal(closed.Count(t => t.Positive), model.Quality.Positives);
        Assert.Equal(closed.Count, model.ConstantQuality.Count);
        Assert.Equal(truth.Count - closed.Count, model.Labels.Pending);

        // The end of the stream closes the rest: every impression once, at the data's rate.
        model.Flush();
        Assert.Equal(truth.Count, model.Quality.Count);
        Assert.Equal(truth.Count(t => t.Positive), model.Quality.Positives);
        Assert.Equal(model.Labels.Exposures, model.Quality.Count);
    }

    /// <summary>
    /// Ending the stream (Flush) and letting time pass every window give the same figures, and the base rate is the
    /// data's. Impressions are judged by the scores served when they happened, so nothing learned later changes them.
    /// </summary>
    [Fact]
    public void Quality_AfterFlush_EqualsQualityAfterTimePassesEveryWindow()
    {
        var strings = new StringInterner();
        var (batch, truth) = AdStream(strings, impressions: 30_000, days: 2, seed: 6);
        var flushed = new ClickModel(AdClicks, strings);
        var waited = new ClickModel(AdClicks, strings);
        for (int i = 0; i < batch.Count; i++)
        {
            flushed.Observe(batch, i);
            waited.Observe(batch, i);
        }

        flushed.Flush();
        waited.AdvanceTo(batch[batch.Count - 1].TimeMs + Day);
        Assert.Equal(waited.Quality.Count, flushed.Quality.Count);
        Assert.Equal(waited.Quality.LogLoss, flushed.Quality.LogLoss);
        Assert.Equal(waited.Quality.Calibration, flushed.Quality.Calibration);
        Assert.Equal((double)truth.Count(t => t.Positive) / truth.Count, flushed.Quality.BaseRate);
    }

    /// <summary>Windows close on the stream's clock, which events the model does not learn from move too.</summary>
    [Fact]
    public void Observe_EventsOfOtherTypes_CloseTheWindowsTheyPass()
    {
        var strings = new StringInterner();
        var model = new ClickModel(AdClicks, strings);
        var (batch, truth) = AdStream(strings, impressions: 1_000, days: 1, seed: 7);
        var heartbeat = new EventBatch();
        heartbeat.BeginEvent(strings.GetOrAdd("page_load"), batch[batch.Count - 1].TimeMs + Day);
        heartbeat.AddString(strings.GetOrAdd("user"), strings.GetOrAdd("u1"));
        heartbeat.EndEvent();
        for (int i = 0; i < batch.Count; i++)
        {
            model.Observe(batch, i);
        }

        model.Observe(heartbeat, 0);
        Assert.Equal(truth.Count, model.Quality.Count);
        Assert.Equal(0, model.Labels.Pending);
    }

    /// <summary>
    /// Ad impressions (one request id each) spread evenly over <paramref name="days"/>, clicked with a probability
    /// around 0.3 % that depends on the ad, after a delay of up to 36 hours (two in three inside the day's window),
    /// and the truth: each impression's time and whether a click followed inside the window and inside the log.
    /// </summary>
    private static (EventBatch Batch, List<(long ExposedAtMs, bool Positive)> Truth) AdStream(StringInterner strings, int impressions, int days, int seed)
    {
        var random = new Random(seed);
        var batch = new EventBatch(impressions + 1_000);
        int impression = strings.GetOrAdd("impression"), click = strings.GetOrAdd("click");
        int request = strings.GetOrAdd("request"), user = strings.GetOrAdd("user"), ad = strings.GetOrAdd("ad");
        var clicks = new PriorityQueue<int, long>();
        var impressed = new List<(long Time, long ClickAt)>();
        long step = days * Day / impressions;
        for (int n = 0; n < impressions; n++)
        {
            long time = n * step;
            while (clicks.TryPeek(out int due, out long at) && at <= time)
            {
                clicks.Dequeue();
                batch.BeginEvent(click, at);
                batch.AddString(request, strings.GetOrAdd($"r{due}"));
                batch.EndEvent();
            }

            int adNumber = random.Next(40);
            batch.BeginEvent(impression, time);
            batch.AddString(request, strings.GetOrAdd($"r{n}"));
            batch.AddString(user, strings.GetOrAdd($"u{random.Next(5_000)}"));
            batch.AddString(ad, strings.GetOrAdd($"a{adNumber}"));
            batch.EndEvent();
            bool clicked = random.NextDouble() < (adNumber < 4 ? 0.02 : 0.001);
            long delay = (long)(random.NextDouble() * 1.5 * Day);
            if (clicked)
            {
                clicks.Enqueue(n, time + delay);
            }

            impressed.Add((time, clicked && delay < Day ? time + delay : long.MaxValue));
        }

        // The log ends with its last impression: a click after it is not in it.
        long end = impressed[^1].Time;
        return (batch, [.. impressed.Select(i => (i.Time, i.ClickAt <= end))]);
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
