using Freshet.Seams;
using System.Text;
using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

public sealed class DedupTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    private const string Yaml = """
        settings: { clock: event_time, allowed_lateness: 1h, max_future: 5m }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
        """;

    private static FreshetEngine NewEngine(long horizonMs = 10 * Duration.Minute, long memoryBytes = 256L << 20) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
            DedupHorizonMs = horizonMs,
            DedupMemoryBytes = memoryBytes,
        });

    private static IngestResult Ingest(FreshetEngine engine, string ndjson)
    {
        var batch = new EventBatch();
        var errors = new List<EventError>();
        new EventJsonParser(engine.Strings).Parse(Encoding.UTF8.GetBytes(ndjson), batch, errors);
        Assert.Empty(errors);
        return engine.Ingest(batch);
    }

    private static string View(string id, long time, string item = "a") =>
        $$"""{"id": "{{id}}", "type": "view", "time": {{time}}, "item": "{{item}}"}""" + "\n";

    private static double Views(FreshetEngine engine, string item = "a")
    {
        Assert.True(engine.Flush(TimeSpan.FromSeconds(10)), "the shards did not apply the batches within 10 s");
        return engine.Reader.ReadVector("item", [item], new VectorQuery { Features = ["item_views"] }).ValueOrThrow().Find("item_views", "1d")!.Value.Number;
    }

    [Fact]
    public async Task Ingest_RetriedBatch_IsAcknowledgedButCountedOnce()
    {
        await using var engine = NewEngine();
        string body = View("e1", T0) + View("e2", T0 + 1000) + View("e3", T0 + 2000);

        var first = Ingest(engine, body);
        var retry = Ingest(engine, body);

        Assert.Equal((3, 0), (first.Accepted, first.Duplicates));
        Assert.Equal((0, 3), (retry.Accepted, retry.Duplicates));
        Assert.Equal(3, Views(engine));
        Assert.Equal(3, engine.GetStats().Duplicates);
    }

    [Fact]
    public async Task Ingest_SameIdTwiceInOneBatch_CountsOnce_AndNumberAndStringIdsAreTheSame()
    {
        await using var engine = NewEngine();
        var result = Ingest(engine, View("7", T0) + $$"""{"id": 7, "type": "view", "time": {{T0}}, "item": "a"}""" + "\n" + View("8", T0));

        Assert.Equal((2, 1), (result.Accepted, result.Duplicates));
        Assert.Equal(2, Views(engine));
    }

    [Fact]
    public async Task Ingest_EventsWithoutIds_AreNeverDeduplicated()
    {
        await using var engine = NewEngine();
        string line = $$"""{"type": "view", "time": {{T0}}, "item": "a"}""" + "\n";

        var result = Ingest(engine, line + line);

        Assert.Equal((2, 0), (result.Accepted, result.Duplicates));
    }

    [Fact]
    public async Task Ingest_RetryAfterTheHorizon_IsCountedAgain()
    {
        await using var engine = NewEngine(horizonMs: 10 * Duration.Minute);
        Ingest(engine, View("e1", T0));
        // Two horizons later on the engine's clock (event time here), e1 is forgotten.
        Ingest(engine, View("tick", T0 + (21 * Duration.Minute), item: "b"));

        var retry = Ingest(engine, View("e1", T0 + (21 * Duration.Minute)));

        Assert.Equal((1, 0), (retry.Accepted, retry.Duplicates));
    }

    [Fact]
    public async Task Ingest_RetryJustInsideTheHorizon_IsStillADuplicate()
    {
        await using var engine = NewEngine(horizonMs: 10 * Duration.Minute);
        Ingest(engine, View("e1", T0));
        Ingest(engine, View("tick", T0 + (10 * Duration.Minute) - 2, item: "b")); // several generations have opened since

        var retry = Ingest(engine, View("e1", T0 + (10 * Duration.Minute) - 1));

        Assert.Equal((0, 1), (retry.Accepted, retry.Duplicates));
    }

    [Fact]
    public async Task Ingest_RejectedEvent_IsNotRemembered_SoItsCorrectedRetryIsAccepted()
    {
        await using var engine = NewEngine();
        Ingest(engine, View("now", T0));
        var tooLate = Ingest(engine, View("e1", T0 - (2 * Duration.Hour)));

        var corrected = Ingest(engine, View("e1", T0));

        Assert.Single(tooLate.Rejected);
        Assert.Equal((1, 0), (corrected.Accepted, corrected.Duplicates));
    }

    [Fact]
    public async Task Ingest_BatchWithAnEventTooFarAhead_DoesNotAgeTheWindow()
    {
        await using var engine = NewEngine(horizonMs: 10 * Duration.Minute);
        Ingest(engine, View("e1", T0));
        // The engine replays history (event time is a day behind the wall clock); an event a week ahead is rejected
        // and must not move the window's clock, or every remembered id would expire at once.
        var future = Ingest(engine, View("far", T0 + (8 * Duration.Day), item: "b") + View("e2", T0 + 1_000));

        var retry = Ingest(engine, View("e1", T0 + 2_000));

        Assert.Single(future.Rejected);
        Assert.Equal((0, 1), (retry.Accepted, retry.Duplicates));
    }

    [Fact]
    public async Task Ingest_DedupOff_CountsEveryRetry()
    {
        await using var engine = NewEngine(horizonMs: 0);
        string body = View("e1", T0);

        Ingest(engine, body);
        var retry = Ingest(engine, body);

        Assert.Equal((1, 0), (retry.Accepted, retry.Duplicates));
    }
}
