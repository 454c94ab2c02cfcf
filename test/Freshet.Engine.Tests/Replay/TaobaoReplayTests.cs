using System.Globalization;
using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;
using Freshet.Testing.TestData;
using Freshet.Time;

namespace Freshet.Engine.Tests.Replay;

/// <summary>
/// Replays the Taobao UserBehavior slice (110,300 events, 2017-11-26 01:00–03:10 UTC) through the engine and checks
/// per-item hourly pv and buy counts and per-user distinct items against an independent LINQ computation over the CSV.
/// </summary>
public sealed class TaobaoReplayTests
{
    private const string Dataset = "taobao_userbehavior";

    private const string Features = """
        settings:
          clock: event_time
          allowed_lateness: 1m
        entities:
          item: item
          user: user
        features:
          item_pv:
            entity: item
            events: [pv]
            aggregation: count
            windows: [1h, 24h]
          item_buy:
            entity: item
            events: [buy]
            aggregation: count
            windows: [1h, 24h]
          user_distinct_items:
            entity: user
            events: [pv, cart, fav, buy]
            aggregation: distinct
            field: item
            windows: [24h]
        """;

    private sealed record Row(string User, string Item, string Category, string Behavior, long TimeMs);

    [DataFact(Dataset)]
    public async Task Replay_TaobaoUserBehavior_MatchesLinqOverTheCsv()
    {
        var rows = File.ReadLines(SharedData.PathOf($"{Dataset}/UserBehavior.csv"))
            .Select(line => line.Split(','))
            .Select(p => new Row(p[0], p[1], p[2], p[3], long.Parse(p[4], CultureInfo.InvariantCulture) * 1000))
            .ToList();
        Assert.Equal(110_300, rows.Count);

        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Features, "taobao.yaml"), new EngineOptions { ShardCount = 2 });
        var strings = engine.Strings;
        int user = strings.GetOrAdd("user"), item = strings.GetOrAdd("item"), category = strings.GetOrAdd("category");
        var batch = new EventBatch();
        foreach (var chunk in rows.Chunk(2048))
        {
            batch.Clear();
            foreach (var r in chunk)
            {
                batch.BeginEvent(strings.GetOrAdd(r.Behavior), r.TimeMs);
                batch.AddString(user, strings.GetOrAdd(r.User));
                batch.AddString(item, strings.GetOrAdd(r.Item));
                batch.AddString(category, strings.GetOrAdd(r.Category));
                batch.EndEvent();
            }

            Assert.Empty(engine.Ingest(batch).Rejected);
        }

        Assert.True(engine.Flush(TimeSpan.FromSeconds(60)), "the replay was not applied within 60 s");

        // Per item, hour by hour: pv and buy counts.
        long firstHour = TimeMath.FloorTo(rows.Min(r => r.TimeMs), Duration.Hour);
        long endHour = TimeMath.FloorTo(rows.Max(r => r.TimeMs), Duration.Hour) + Duration.Hour;
        foreach (string behavior in new[] { "pv", "buy" })
        {
            var expected = rows.Where(r => r.Behavior == behavior)
                .GroupBy(r => (r.Item, Hour: TimeMath.FloorTo(r.TimeMs, Duration.Hour)))
                .ToDictionary(g => g.Key, g => g.Count());
            int checkedItems = 0;
            foreach (string id in expected.Keys.Select(k => k.Item).Distinct())
            {
                var series = engine.Reader.ReadSeries($"item_{behavior}", [id], Duration.Hour, firstHour, endHour).ValueOrThrow();
                foreach (var point in series.Points)
                {
                    int truth = expected.GetValueOrDefault((id, point.StartMs));
                    Assert.True(truth == (int)point.Value.Number, $"item_{behavior}[{id}] at {TimeMath.FormatUtc(point.StartMs)}: expected {truth}, got {point.Value}");
                }

                checkedItems++;
            }

            Assert.True(checkedItems > (behavior == "pv" ? 70_000 : 2_000), $"only {checkedItems} items had {behavior} events");
        }

        // Per user: distinct items over the whole slice (a 24h window at the end contains all of it).
        var distinct = rows.GroupBy(r => r.User).ToDictionary(g => g.Key, g => g.Select(r => r.Item).Distinct().Count());
        foreach (var (id, truth) in distinct)
        {
            var reading = engine.Reader.ReadVector("user", [id], new VectorQuery { Features = ["user_distinct_items"] }).ValueOrThrow().Readings[0];
            Assert.True(reading.FromMs <= rows[0].TimeMs, "the 24h window should start before the first event");
            Assert.True(truth == (int)reading.Value.Number, $"user_distinct_items[{id}]: expected {truth}, got {reading.Value}");
        }

        Assert.Equal(66_454, distinct.Count);
    }
}
