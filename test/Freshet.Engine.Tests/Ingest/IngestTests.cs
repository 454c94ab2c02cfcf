using System.Text;
using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

public sealed class IngestTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    private const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 5m
          max_future: 5m
        entities:
          item: item
          user: user
        features:
          item_views:
            entity: item
            events: [view]
            aggregation: count
            windows: [1h, 24h]
          user_views:
            entity: user
            events: [view]
            aggregation: count
            windows: [1h]
        """;

    private static FreshetEngine NewEngine(string yaml = Yaml, int shards = 2, ManualTimeProvider? time = null) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = shards,
            Time = time ?? new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
        });

    private static (EventBatch Batch, List<EventError> Errors) ParseJson(FreshetEngine engine, string json)
    {
        var batch = new EventBatch();
        var errors = new List<EventError>();
        new EventJsonParser(engine.Strings).Parse(Encoding.UTF8.GetBytes(json), batch, errors);
        return (batch, errors);
    }

    private static double Count(FreshetEngine engine, string entity, string key, string feature, string window = "1h") =>
        engine.Reader.ReadVector(entity, [key], new VectorQuery { Features = [feature] }).ValueOrThrow().Find(feature, window)!.Value.Number;

    [Fact]
    public async Task Ingest_BatchWithBadEvents_KeepsEveryGoodEvent()
    {
        await using var engine = NewEngine();
        var (batch, errors) = ParseJson(engine, $$"""
            {"type": "view", "time": {{T0}}, "item": "a", "user": "u"}
            {"type": "view", "time": {{T0}}, "item": {"bad": 1}, "user": "u"}
            {"type": "view", "time": {{T0 + 1000}}, "item": "a", "user": "u"}
            {"type": "view", "time": {{T0 - (10 * Duration.Minute)}}, "item": "a", "user": "late"}
            {"type": "view", "time": {{T0 + (3 * Duration.Day)}}, "item": "a", "user": "future"}
            {"type": "view", "time": {{T0 + 2000}}, "user": "no-item"}
            {"type": "purchase", "time": {{T0 + 3000}}, "item": "a"}
            """);
        var result = engine.Ingest(batch);
        Assert.True(engine.Flush(TimeSpan.FromSeconds(10)));

        Assert.Equal([1], errors.Select(e => e.Index));
        Assert.Equal(4, result.Accepted);
        Assert.Equal([EventRejectReason.Late, EventRejectReason.Future], result.Rejected.Select(r => r.Reason));
        Assert.Equal([3, 4], result.Rejected.Select(r => r.Index)); // Positions in the request, not in the batch.
        Assert.Contains("allowed lateness (5m)", result.Rejected[0].Message);
        Assert.Equal(2, Count(engine, "item", "a", "item_views"));
        Assert.Equal(3, Count(engine, "user", "u", "user_views") + Count(engine, "user", "no-item", "user_views"));
        var stats = engine.GetStats();
        Assert.Equal(1, stats.MissingKeyByEntity["item"]);
        Assert.Equal(1, stats.EventsWithoutFeatures);
        Assert.Equal(1, stats.RejectedByReason[EventRejectReason.Late]);
    }

    [Fact]
    public async Task Ingest_WallClockMode_JudgesLatenessAndFutureAgainstTheWallClock()
    {
        var time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var engine = NewEngine(Yaml.Replace("clock: event_time", "clock: wall", StringComparison.Ordinal), time: time);
        var (batch, _) = ParseJson(engine, $$"""
            {"type": "view", "time": {{T0 - Duration.Minute}}, "item": "a", "user": "u"}
            {"type": "view", "time": {{T0 - (6 * Duration.Minute)}}, "item": "a", "user": "u"}
            {"type": "view", "time": {{T0 + (4 * Duration.Minute)}}, "item": "a", "user": "u"}
            {"type": "view", "time": {{T0 + (6 * Duration.Minute)}}, "item": "a", "user": "u"}
            """);

        var result = engine.Ingest(batch);

        Assert.Equal(2, result.Accepted);
        Assert.Equal([1, 3], result.Rejected.Select(r => r.Index));
        Assert.Equal(T0, engine.NowMs);
    }

    [Fact]
    public async Task SwapCatalog_WhileIngesting_KeepsUnchangedStateAndLosesNoEvent()
    {
        await using var engine = NewEngine();
        var swapped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // The producer keeps going until it has ingested 100 batches after the swap, so the swap always lands mid-stream.
        var ingest = Task.Run(() =>
        {
            var batch = new EventBatch();
            int type = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item"), user = engine.Strings.GetOrAdd("user");
            int b = 0;
            for (int afterSwap = 0; afterSwap < 100; b++)
            {
                batch.Clear();
                for (int i = 0; i < 100; i++)
                {
                    batch.BeginEvent(type, T0 + (b * 100) + i);
                    batch.AddString(item, engine.Strings.GetOrAdd($"i{i % 10}"));
                    batch.AddString(user, engine.Strings.GetOrAdd("u1"));
                    batch.EndEvent();
                }

                // Observed before ingesting: the swap returned before this batch started, so it runs under the new catalog.
                bool afterTheSwap = swapped.Task.IsCompleted;
                var result = engine.Ingest(batch);
                Assert.True(result.Accepted == 100, $"batch {b}: {string.Join("; ", result.Rejected.Take(3))}");
                afterSwap += afterTheSwap ? 1 : 0;
            }

            return b;
        });

        // Swap once mid-stream: change item_views' windows (serving only: keeps its tiles) and add a feature.
        while (engine.GetStats().Accepted < 10_000)
        {
            await Task.Delay(1);
        }

        var v2 = engine.SwapCatalog(FeatureDefinitionLoader.Parse(Yaml.Replace("windows: [1h, 24h]", "windows: [1h, 6h]", StringComparison.Ordinal)
            + "\n  item_views_copy:\n    entity: item\n    events: [view]\n    aggregation: count\n    windows: [1h]\n", "v2.yaml"));
        swapped.SetResult();
        int batches = await ingest;
        Assert.True(engine.Flush(TimeSpan.FromSeconds(10)));

        Assert.Equal(2, v2.Version);
        Assert.Equal(2, engine.Catalog.Version);
        double total = Enumerable.Range(0, 10).Sum(i => Count(engine, "item", $"i{i}", "item_views"));
        double copy = Enumerable.Range(0, 10).Sum(i => Count(engine, "item", $"i{i}", "item_views_copy"));
        Assert.Equal(batches * 100, total);
        Assert.InRange(copy, 100 * 100, (batches * 100) - 10_000);
        Assert.NotNull(engine.Reader.ReadVector("item", ["i1"]).ValueOrThrow().Find("item_views", "6h"));
    }

    [Fact]
    public async Task Readers_DuringIngest_SeeMonotonicCountsAndTheFinalTotal()
    {
        await using var engine = NewEngine(shards: 2);
        using var stop = new CancellationTokenSource();
        double lastSeen = 0;
        int reads = 0;
        using var reading = new ManualResetEventSlim();
        var reader = Task.Run(() =>
        {
            // Reads from before the first batch until it has seen the final total, so it reads throughout the ingest.
            while (!stop.IsCancellationRequested || lastSeen < 150_000)
            {
                double now = Count(engine, "item", "hot", "item_views", "1d");
                Assert.True(now >= lastSeen, $"count went back from {lastSeen} to {now}");
                lastSeen = now;
                reads++;
                reading.Set();
            }
        });
        Assert.True(reading.Wait(TimeSpan.FromSeconds(30)), "the reader did not start within 30 s");

        var batch = new EventBatch();
        int type = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item"), hot = engine.Strings.GetOrAdd("hot");
        for (int b = 0; b < 300; b++)
        {
            batch.Clear();
            for (int i = 0; i < 500; i++)
            {
                batch.BeginEvent(type, T0 + (b * 10));
                batch.AddString(item, hot);
                batch.EndEvent();
            }

            engine.Ingest(batch);
        }

        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));
        await stop.CancelAsync();
        await reader;
        Assert.Equal(150_000, Count(engine, "item", "hot", "item_views", "1d"));
        Assert.Equal(150_000, lastSeen);
        Assert.True(reads > 1, $"the reader read {reads} times");
    }

    [Fact]
    public async Task Expiry_LongStream_KeepsTilesBoundedByRetention()
    {
        const string yaml = """
            settings:
              allowed_lateness: 1m
              max_future: 1000d
              tiles:
                - { resolution: 1m, keep: 2h }
                - { resolution: 1h, keep: 26h }
                - { resolution: 1d, keep: 3d }
            entities:
              item: item
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
            """;
        await using var engine = NewEngine(yaml, shards: 1, time: new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + (400 * Duration.Day))));
        var batch = new EventBatch();
        int type = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item"), one = engine.Strings.GetOrAdd("one");
        for (long t = T0; t < T0 + (30 * Duration.Day); t += 20 * Duration.Minute)
        {
            batch.Clear();
            for (long m = 0; m < 20; m++)
            {
                batch.BeginEvent(type, t + (m * Duration.Minute));
                batch.AddString(item, one);
                batch.EndEvent();
            }

            engine.Ingest(batch);
        }

        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));
        var feature = engine.Catalog.Features[0];
        long tiles = engine.Footprint(feature).Tiles;
        // Retained at most: 120 minute tiles + 24 hour tiles + 3 day tiles, plus what the sweep has not reached yet.
        Assert.InRange(tiles, 100, 2 * (120 + 26 + 3 + 2));
    }
}
