using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Tests.Query;

/// <summary>
/// A read planned as of a past time (<see cref="VectorQuery.PlanAsOf"/>) answers the same once the engine's clock has
/// moved hours on, as long as retention is held there; a plain as-of read does not (its edges are planned with the
/// later now, and the fine tiles it needs expire).
/// </summary>
public sealed class PlanAsOfTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    private const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 1m
          max_future: 1d
          tiles:
            - { resolution: 1m, keep: 90m }
            - { resolution: 1h, keep: 2d }
        entities: { item: item }
        features:
          views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ReadVector_PlanAsOfUnderAHold_AnswersTheSameAfterTheClockMovesOn(bool hold)
    {
        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions { ShardCount = 1 });
        long asOf = T0 + (90 * 60_000) + 30_000; // 11:30:30; its 1h window starts at 10:30:30, mid-hour.
        Ingest(engine, T0, asOf + 60_000); // A view every 10 s up to a minute after it.
        if (hold)
        {
            engine.HoldRetention(asOf);
        }

        var query = new VectorQuery { AsOfMs = asOf, PlanAsOf = true };
        double then = engine.Reader.ReadVector("item", ["i1"], query).ValueOrThrow().Readings[0].Value.Number;
        double plainThen = engine.Reader.ReadVector("item", ["i1"], query with { PlanAsOf = false }).ValueOrThrow().Readings[0].Value.Number;
        Ingest(engine, asOf + 70_000, asOf + (5 * 3_600_000)); // Five more hours: the minutes around asOf expire.

        double later = engine.Reader.ReadVector("item", ["i1"], query).ValueOrThrow().Readings[0].Value.Number;
        double plainLater = engine.Reader.ReadVector("item", ["i1"], query with { PlanAsOf = false }).ValueOrThrow().Readings[0].Value.Number;
        Assert.Equal(366, then); // 10:30:00 to 11:30:50: the window's start rounds down to its minute, its end up.
        Assert.Equal(then, plainThen);
        Assert.NotEqual(then, plainLater); // Planned with the later now, the edges fall on whole hours.
        if (hold)
        {
            Assert.Equal(then, later);
        }
        else
        {
            Assert.NotEqual(then, later); // Without the hold, the minutes it needs are gone.
        }
    }

    private static void Ingest(FreshetEngine engine, long fromMs, long toMs)
    {
        var batch = new EventBatch();
        int view = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item"), i1 = engine.Strings.GetOrAdd("i1");
        for (long time = fromMs; time <= toMs; time += 10_000)
        {
            batch.BeginEvent(view, time);
            batch.AddString(item, i1);
            batch.EndEvent();
            if (batch.Count == 500)
            {
                engine.Ingest(batch);
                batch.Clear();
            }
        }

        engine.Ingest(batch);
        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));
    }
}
