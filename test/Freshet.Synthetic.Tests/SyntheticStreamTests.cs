using Freshet.Events;
using Freshet.Time;

namespace Freshet.Synthetic.Tests;

/// <summary>The synthetic stream is reproducible, allocation-free, and has the shape it promises.</summary>
public sealed class SyntheticStreamTests
{
    /// <summary>A smaller shop than the default so each test builds in milliseconds; the shape is the same.</summary>
    private static readonly SyntheticOptions Small = new()
    {
        Seed = 7,
        ItemCount = 10_000,
        CategoryCount = 100,
        UserCount = 20_000,
        EventsPerSimulatedSecond = 50,
    };

    [Fact]
    public void Fill_SameSeed_ProducesIdenticalEvents()
    {
        var first = Generate(Small, 40_000, batchSize: 1000);
        var second = Generate(Small, 40_000, batchSize: 777); // Batch boundaries must not matter.

        Assert.Equal(first.Count, second.Count);
        for (int i = 0; i < first.Count; i++)
        {
            Assert.True(first[i] == second[i], $"event {i} differs: {first[i]} vs {second[i]}");
        }
    }

    [Fact]
    public void Fill_DifferentSeeds_ProduceDifferentEvents()
    {
        var first = Generate(Small, 2000, batchSize: 1000);
        var second = Generate(Small with { Seed = 8 }, 2000, batchSize: 1000);

        Assert.True(first.Zip(second).Count(p => p.First == p.Second) < 20, "two seeds gave nearly the same stream");
    }

    [Fact]
    public void Fill_ItemViews_FollowZipf()
    {
        var views = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var e in Generate(Small, 400_000, batchSize: 4096).Where(e => e.Type == Vocabulary.View))
        {
            views[e.Item!] = views.GetValueOrDefault(e.Item!) + 1;
        }

        long total = views.Values.Sum();
        long topOnePercent = views.Values.OrderDescending().Take(Small.ItemCount / 100).Sum();
        double share = topOnePercent / (double)total;

        // Zipf(1.1) over 10,000 items gives the top 1 % about 65 % of views (promotions and browsing shave a little).
        Assert.InRange(share, 0.5, 0.8);
    }

    [Fact]
    public void Fill_ClicksPerView_MatchTheTrueCtrOfTheViewedItems()
    {
        var strings = new StringInterner();
        var stream = new SyntheticStream(Small, strings);
        var events = Generate(stream, strings, 600_000, batchSize: 4096);
        var viewed = events.Where(e => e.Type == Vocabulary.View).ToList();
        int clicks = events.Count(e => e.Type == Vocabulary.Click);

        double expected = viewed.Average(e => Truth(stream, e.Item!).TrueCtr);
        double observed = clicks / (double)viewed.Count;
        Assert.InRange(observed, expected * 0.95, expected * 1.05);

        double meanTrueCtr = Enumerable.Range(0, stream.ItemCount).Average(i => stream.GetItem(i).TrueCtr);
        double betaMean = Small.CtrAlpha / (Small.CtrAlpha + Small.CtrBeta);
        Assert.InRange(meanTrueCtr, betaMean * 0.97, betaMean * 1.03);
    }

    [Fact]
    public void Fill_Funnel_NarrowsFromClicksToCartsToPurchases()
    {
        var strings = new StringInterner();
        var stream = new SyntheticStream(Small, strings);
        Generate(stream, strings, 600_000, batchSize: 4096);
        var counts = stream.Counts;

        Assert.True(counts.Purchases <= counts.Carts && counts.Carts <= counts.Clicks && counts.Clicks < counts.Views, counts.ToString());
        Assert.InRange(counts.Carts / (double)counts.Clicks, 0.22, 0.28);
        Assert.InRange(counts.Purchases / (double)counts.Clicks, 0.065, 0.095);
        Assert.InRange(counts.Searches / (double)counts.Events, 0.04, 0.12);
        Assert.Equal(0, counts.DroppedActions);
    }

    [Fact]
    public void Fill_OverTwoDays_PeaksInTheEveningAndDipsBeforeDawn()
    {
        var options = Small with { EventsPerSimulatedSecond = 10 };
        var strings = new StringInterner();
        var stream = new SyntheticStream(options, strings);
        var perHour = new long[24];
        var batch = new EventBatch(4096);
        while (stream.SimulatedNowMs < options.StartTimeMs + (2 * Duration.Day))
        {
            batch.Clear();
            stream.Fill(batch, 4096);
            foreach (var e in batch.Events)
            {
                perHour[(e.TimeMs - TimeMath.FloorTo(e.TimeMs, Duration.Day)) / Duration.Hour]++;
            }
        }

        int peak = Array.IndexOf(perHour, perHour.Max());
        int trough = Array.IndexOf(perHour, perHour.Min());
        Assert.True(perHour.Max() > 2 * perHour.Min(), $"peak {perHour.Max()} at {peak}h, trough {perHour.Min()} at {trough}h");
        Assert.InRange(peak, 18, 22);
        Assert.InRange(trough, 2, 6);

        // The daily total follows the asked rate (10 events per simulated second, on average).
        Assert.InRange(perHour.Sum() / 2.0, 10 * 86_400 * 0.9, 10 * 86_400 * 1.1);
    }

    [Fact]
    public void Fill_Events_CarryTheFieldsOfTheirType()
    {
        foreach (var e in Generate(Small, 50_000, batchSize: 4096))
        {
            Assert.NotNull(e.User);
            Assert.Contains(e.Device, Vocabulary.Devices);
            if (e.Type == Vocabulary.Search)
            {
                Assert.NotNull(e.Query);
                Assert.Null(e.Item);
                continue;
            }

            Assert.NotNull(e.Item);
            Assert.NotNull(e.Category);
            Assert.Equal(e.Type is Vocabulary.Cart or Vocabulary.Purchase, e.Price is not null);
            Assert.True(e.Price is null or > 0, $"price {e.Price}");
        }
    }

    [Fact]
    public void Fill_Events_ComeInTimeOrderFromTheStartTime()
    {
        var events = Generate(Small, 50_000, batchSize: 4096);

        Assert.True(events[0].TimeMs >= Small.StartTimeMs);
        for (int i = 1; i < events.Count; i++)
        {
            Assert.True(events[i].TimeMs >= events[i - 1].TimeMs, $"event {i} at {events[i].TimeMs} is before event {i - 1} at {events[i - 1].TimeMs}");
        }
    }

    [Fact]
    public void FillUntil_StopsAtTheGivenSimulatedTime()
    {
        var strings = new StringInterner();
        var stream = new SyntheticStream(Small, strings);
        var batch = new EventBatch(4096);
        long until = Small.StartTimeMs + Duration.Minute;

        int n = stream.FillUntil(batch, until, 100_000);

        Assert.Equal(batch.Count, n);
        Assert.InRange(n, 1, 99_999);
        Assert.All(batch.Events.ToArray(), e => Assert.True(e.TimeMs <= until));
        Assert.True(stream.NextEventTimeMs > until);
        Assert.Equal(0, stream.FillUntil(batch, until, 100_000));
    }

    [Fact]
    public void Fill_SteadyState_AllocatesNothing()
    {
        var strings = new StringInterner();
        var stream = new SyntheticStream(Small, strings);
        var batch = new EventBatch(4096);

        // Warm up through a whole simulated day, so the batch and the agenda have grown to their working size.
        while (stream.SimulatedNowMs < Small.StartTimeMs + Duration.Day)
        {
            batch.Clear();
            stream.Fill(batch, 4096);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            batch.Clear();
            stream.Fill(batch, 4096);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TryGetItem_KnownId_ReturnsItsGroundTruth()
    {
        var stream = new SyntheticStream(Small, new StringInterner());
        var item = stream.GetItem(123);

        Assert.True(stream.TryGetItem(item.Id, out var found));
        Assert.Equal(item, found);
        Assert.Equal("i123", item.Id);
        Assert.InRange(item.TrueCtr, 0, 1);
        Assert.InRange(item.PopularityRank, 1, Small.ItemCount);
        Assert.False(stream.TryGetItem("i999999", out _));
        Assert.False(stream.TryGetItem("u1", out _));
    }

    [Fact]
    public void Fill_OverADay_PromotesSomeItems()
    {
        var strings = new StringInterner();
        var stream = new SyntheticStream(Small, strings);
        var batch = new EventBatch(4096);
        var promoted = new HashSet<int>();
        while (stream.SimulatedNowMs < Small.StartTimeMs + Duration.Day)
        {
            batch.Clear();
            stream.Fill(batch, 4096);
            promoted.UnionWith(Enumerable.Range(0, stream.ItemCount).Where(stream.IsPromoted));
        }

        // One promotion starts every 3 simulated hours on average, always from the middle of the popularity ranks.
        Assert.InRange(promoted.Count, 2, 20);
        Assert.All(promoted, i => Assert.InRange(stream.GetItem(i).PopularityRank, 20, Small.ItemCount / 20));
    }

    private static SyntheticItem Truth(SyntheticStream stream, string id) =>
        stream.TryGetItem(id, out var item) ? item : throw new InvalidOperationException($"unknown item {id}");

    private static List<GeneratedEvent> Generate(SyntheticOptions options, int count, int batchSize)
    {
        var strings = new StringInterner();
        return Generate(new SyntheticStream(options, strings), strings, count, batchSize);
    }

    private static List<GeneratedEvent> Generate(SyntheticStream stream, StringInterner strings, int count, int batchSize)
    {
        var events = new List<GeneratedEvent>(count);
        var batch = new EventBatch(batchSize);
        while (events.Count < count)
        {
            batch.Clear();
            stream.Fill(batch, Math.Min(batchSize, count - events.Count));
            for (int i = 0; i < batch.Count; i++)
            {
                events.Add(GeneratedEvent.Read(batch, i, strings));
            }
        }

        return events;
    }

    /// <summary>One generated event with its names resolved, comparable by value.</summary>
    private sealed record GeneratedEvent(string Type, long TimeMs, string? User, string? Item, string? Category, string? Device, string? Query, double? Price)
    {
        public static GeneratedEvent Read(EventBatch batch, int index, StringInterner strings)
        {
            string? Text(string field) => batch.TryGetField(index, strings.GetOrAdd(field), out var v) && v.Kind == FieldKind.String ? strings[v.StringId] : null;
            double? Number(string field) => batch.TryGetField(index, strings.GetOrAdd(field), out var v) && v.Kind == FieldKind.Number ? v.Number : null;
            var e = batch[index];
            return new GeneratedEvent(strings[e.TypeId], e.TimeMs, Text(Vocabulary.UserField), Text(Vocabulary.ItemField),
                Text(Vocabulary.CategoryField), Text(Vocabulary.DeviceField), Text(Vocabulary.QueryField), Number(Vocabulary.PriceField));
        }
    }
}
