using Freshet.Aggregation;
using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Oracle;

/// <summary>
/// Every window, series, profile and as-of answer equals a brute-force recomputation from the raw accepted events
/// (exact aggregators exactly, floating ones to 1e-9, HyperLogLog within 2 %), on seeded random streams with
/// out-of-order, late and far-future events, checked at several points while the stream is ingested.
/// </summary>
public sealed class EngineOracleTests
{
    private static readonly FeatureSet Definitions = OracleStream.Definitions();

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    public async Task Queries_SeededStreamWithDisorder_MatchBruteForce(int seed, int shards)
    {
        long wall = OracleStream.Start + (13 * Duration.Day);
        var events = OracleStream.Generate(seed, 30_000, wall);
        await using var engine = FreshetEngine.Create(Definitions, new EngineOptions
        {
            ShardCount = shards,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(wall)),
        });

        var expectedAccepted = ExpectedAcceptance(events, wall, Definitions.Settings);
        var accepted = new List<RawEvent>();
        var random = new Random(seed);
        var batch = new EventBatch();
        int position = 0;
        int checks = 0;
        int batches = 0;
        while (position < events.Count)
        {
            int size = Math.Min(events.Count - position, 1 + random.Next(400));
            var slice = events.GetRange(position, size);
            batch.Clear();
            OracleStream.Fill(batch, engine.Strings, slice);
            var result = engine.Ingest(batch, firstIndex: position);
            var rejected = result.Rejected.Select(r => r.Index).ToHashSet();
            foreach (var e in slice)
            {
                Assert.True(expectedAccepted[e.Index] == !rejected.Contains(e.Index),
                    $"event {e.Index} at {TimeMath.FormatUtc(e.TimeMs)}: expected {(expectedAccepted[e.Index] ? "accepted" : "rejected")}");
                if (!rejected.Contains(e.Index))
                {
                    accepted.Add(e);
                }
            }

            position += size;
            if (++batches % 20 == 7 || position == events.Count)
            {
                Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "shards did not apply the stream within 30 s");
                CheckEverything(engine, new BruteForce(accepted, engine.Strings), random);
                checks++;
            }
        }

        Assert.True(checks >= 5, $"only {checks} checkpoints ran");
        var stats = engine.GetStats();
        Assert.Equal(accepted.Count, stats.Accepted);
        Assert.True(stats.RejectedByReason[EventRejectReason.Late] > 100, "the stream should contain late events");
        Assert.True(stats.RejectedByReason[EventRejectReason.Future] > 20, "the stream should contain far-future events");
    }

    /// <summary>The router's rule, restated: far-future against the wall clock, late against the running event-time clock.</summary>
    private static bool[] ExpectedAcceptance(List<RawEvent> events, long wall, CatalogSettings settings)
    {
        var accepted = new bool[events.Count];
        long now = long.MinValue;
        foreach (var e in events)
        {
            if (e.TimeMs > wall + settings.MaxFutureMs || (now != long.MinValue && e.TimeMs < now - settings.AllowedLatenessMs))
            {
                continue;
            }

            accepted[e.Index] = true;
            now = Math.Max(now, e.TimeMs);
        }

        return accepted;
    }

    private static void CheckEverything(FreshetEngine engine, BruteForce oracle, Random random)
    {
        long now = engine.NowMs;
        long[] offsets = [0, 20 * Duration.Minute, 4 * Duration.Hour, 30 * Duration.Hour];
        var items = Enumerable.Range(0, 6).Select(_ => $"i{(int)Math.Floor(Math.Pow(random.NextDouble(), 2) * 50)}").Append("i-never-seen").ToList();
        foreach (long offset in offsets)
        {
            long at = now - offset;
            if (at - (7 * Duration.Day) < OracleStream.Start - Duration.Day && offset > 0)
            {
                continue;
            }

            foreach (string item in items)
            {
                var vector = engine.Reader.ReadVector("item", [item], new VectorQuery { AsOfMs = offset == 0 ? null : at }).ValueOrThrow();
                CheckVector(engine, vector, oracle, [item], at);
            }

            var user = $"u{random.Next(30)}";
            var category = $"c{random.Next(5)}";
            CheckVector(engine, engine.Reader.ReadVector("user_category", [user, category], new VectorQuery { AsOfMs = at }).ValueOrThrow(), oracle, [user, category], at);
            CheckTopK(engine.Reader.ReadVector("site", [], new VectorQuery { AsOfMs = at }).ValueOrThrow(), oracle);
        }

        CheckSeriesAndProfiles(engine, oracle, items[0], now);
    }

    private static void CheckVector(FreshetEngine engine, FeatureVector vector, BruteForce oracle, IReadOnlyList<string> key, long at)
    {
        foreach (var reading in vector.Readings)
        {
            var feature = Definitions.Features.Single(f => f.Name == reading.Feature);
            string where = $"{reading.Feature}[{string.Join('|', key)}] window {reading.Window} at {TimeMath.FormatUtc(at)} over [{TimeMath.FormatUtc(reading.FromMs)}, {TimeMath.FormatUtc(reading.ToMs)})";
            if (feature.Aggregation != AggregationKind.Trend)
            {
                CheckEdges(reading, at, where);
            }

            switch (feature.Aggregation)
            {
                case AggregationKind.Ratio:
                    double clicks = oracle.Number(Find("item_clicks"), key, reading.FromMs, reading.ToMs, at)!.Value;
                    double views = oracle.Number(Find("item_views"), key, reading.FromMs, reading.ToMs, at)!.Value;
                    AssertClose((clicks + 1) / (views + 11), reading.Value, where);
                    break;
                case AggregationKind.Trend:
                    // The source readings for both windows are checked against brute force as item_views; here the
                    // trend must be the documented formula over exactly those readings (same spans, same clock).
                    var source = engine.Reader.ReadVector(vector.Entity, key, new VectorQuery { Features = ["item_views"], WindowsMs = [Duration.Hour, Duration.Day], AsOfMs = at }).ValueOrThrow();
                    double recent = source.Readings[0].Value.Number;
                    double baseline = source.Readings[1].Value.Number;
                    AssertClose(((recent + (1.0 / 24)) / Duration.Hour) / ((baseline + 1) / Duration.Day), reading.Value, where);
                    break;
                case AggregationKind.Last:
                    var last = oracle.Latest(feature, key, reading.FromMs, reading.ToMs, 1);
                    Assert.True(last.Count == 0 ? reading.Value.IsMissing : reading.Value.Items![0].Item == last[0], $"{where}: expected {string.Join(",", last)}, got {reading.Value}");
                    break;
                case AggregationKind.LastK:
                    var latest = oracle.Latest(feature, key, reading.FromMs, reading.ToMs, feature.K);
                    Assert.True(latest.SequenceEqual(reading.Value.Items!.Select(i => i.Item!)), $"{where}: expected [{string.Join(",", latest)}], got {reading.Value}");
                    break;
                case AggregationKind.Distinct:
                    double truth = oracle.Number(feature, key, reading.FromMs, reading.ToMs, at)!.Value;
                    Assert.True(Math.Abs(reading.Value.Number - truth) <= Math.Max(1, 0.02 * truth), $"{where}: HLL {reading.Value.Number} vs exact {truth}");
                    break;
                default:
                    AssertClose(oracle.Number(feature, key, reading.FromMs, reading.ToMs, at), reading.Value, where);
                    break;
            }
        }
    }

    /// <summary>The documented edges: start rounded down by less than one (coarsest) bucket, end rounded up likewise.</summary>
    private static void CheckEdges(FeatureReading reading, long at, string where)
    {
        long start = at - reading.WindowMs;
        Assert.True(reading.FromMs <= start && start - reading.FromMs < Duration.Day, $"{where}: start edge");
        Assert.True(reading.ToMs > at && reading.ToMs - at <= Duration.Day, $"{where}: end edge");
        if (reading.WindowMs <= Duration.Hour && at > reading.ToMs - Duration.Minute)
        {
            Assert.True(start - reading.FromMs < Duration.Minute, $"{where}: a recent short window is answered at minute resolution");
        }
    }

    private static void CheckTopK(FeatureVector vector, BruteForce oracle)
    {
        foreach (var reading in vector.Readings)
        {
            var truth = oracle.ItemCounts(Find("site_top_items"), reading.FromMs, reading.ToMs);
            var expectedCounts = truth.Values.OrderDescending().Take(10).ToList();
            var reported = reading.Value.Items!;
            Assert.Equal(expectedCounts, reported.Select(i => (int)i.Value).ToList());
            foreach (var item in reported)
            {
                Assert.Equal(truth[item.Item!], (int)item.Value);
            }
        }
    }

    private static void CheckSeriesAndProfiles(FreshetEngine engine, BruteForce oracle, string item, long now)
    {
        var views = Find("item_views");
        var series = engine.Reader.ReadSeries("item_views", [item], Duration.Hour, now - (36 * Duration.Hour)).ValueOrThrow();
        Assert.NotEmpty(series.Points);
        foreach (var point in series.Points)
        {
            AssertClose(oracle.Number(views, [item], point.StartMs, point.StartMs + Duration.Hour, now), point.Value, $"series item_views[{item}] at {TimeMath.FormatUtc(point.StartMs)}");
        }

        var ctr = engine.Reader.ReadSeries("item_ctr", [item], Duration.Hour, now - (6 * Duration.Hour)).ValueOrThrow();
        foreach (var point in ctr.Points)
        {
            double c = oracle.Number(Find("item_clicks"), [item], point.StartMs, point.StartMs + Duration.Hour, now)!.Value;
            double v = oracle.Number(views, [item], point.StartMs, point.StartMs + Duration.Hour, now)!.Value;
            AssertClose((c + 1) / (v + 11), point.Value, $"series item_ctr at {TimeMath.FormatUtc(point.StartMs)}");
        }

        var hours = engine.Reader.ReadProfile("item_revenue", [item], ProfileKind.HourOfDay, days: 1).ValueOrThrow();
        CheckProfile(hours, oracle, Find("item_revenue"), item, Duration.Hour, start => (int)(start / Duration.Hour % 24), now);
        var weekdays = engine.Reader.ReadProfile("item_views", [item], ProfileKind.DayOfWeek, days: 8).ValueOrThrow();
        CheckProfile(weekdays, oracle, views, item, Duration.Day, start => ((int)DateTimeOffset.FromUnixTimeMilliseconds(start).DayOfWeek + 6) % 7, now);
    }

    private static void CheckProfile(FeatureProfile profile, BruteForce oracle, FeatureDefinition feature, string item, long bucket, Func<long, int> slotOf, long now)
    {
        var expected = new double[profile.Slots.Count];
        for (long start = profile.FromMs; start < profile.ToMs; start += bucket)
        {
            expected[slotOf(start)] += oracle.Number(feature, [item], start, start + bucket, now)!.Value;
        }

        for (int slot = 0; slot < expected.Length; slot++)
        {
            AssertClose(expected[slot], profile.Slots[slot], $"{profile.Kind} profile of {feature.Name}[{item}] slot {slot}");
        }
    }

    private static FeatureDefinition Find(string name) => Definitions.Features.Single(f => f.Name == name);

    private static void AssertClose(double? expected, FeatureValue actual, string where)
    {
        if (expected is null)
        {
            Assert.True(actual.IsMissing, $"{where}: expected missing, got {actual}");
            return;
        }

        Assert.True(actual.Kind == FeatureValueKind.Number, $"{where}: expected {expected}, got {actual}");
        double tolerance = 1e-9 * Math.Max(1, Math.Abs(expected.Value));
        Assert.True(Math.Abs(expected.Value - actual.Number) <= tolerance, $"{where}: expected {expected}, got {actual.Number}");
    }
}
