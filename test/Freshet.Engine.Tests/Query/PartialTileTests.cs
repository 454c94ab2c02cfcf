using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Query;

/// <summary>
/// Live windows read an open coarse tile for the finer tiles already closed into it. These tests pin down that this
/// never counts an event twice or misses one, including in the middle of a roll-up, when some open tiles hold
/// children that the shard's closure watermark does not cover yet.
/// </summary>
public sealed class PartialTileTests
{
    private const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z
    private const int Keys = 3_000; // Several roll-up chunks (512 tiles each) per minute closed.

    private const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 1m
          max_future: 1d
        entities: { item: item }
        features:
          views:
            entity: item
            events: [view]
            aggregation: count
            windows: [1h, 3h]
          value:
            entity: item
            events: [view]
            aggregation: sum
            field: price
            windows: [1h, 3h]
        """;

    [Fact]
    public async Task LiveReads_DuringAndAfterRollUps_CountEveryEventOnce()
    {
        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions { ShardCount = 1 });
        int step = 0; // Events per key applied so far: one per key per step, a step every 20 s.
        var failures = new List<string>();
        int readsDuringRollUp = 0;
        engine.OnRollUpChunk(() =>
        {
            readsDuringRollUp++;
            Check(engine, step, $"key 1 in the middle of a roll-up after step {step}", failures, "k1");
            Check(engine, step, $"key {Keys} in the middle of a roll-up after step {step}", failures, $"k{Keys}");
        });

        var batch = new EventBatch(Keys);
        int item = engine.Strings.GetOrAdd("item"), price = engine.Strings.GetOrAdd("price"), view = engine.Strings.GetOrAdd("view");
        var keyIds = Enumerable.Range(1, Keys).Select(k => engine.Strings.GetOrAdd($"k{k}")).ToArray();
        for (step = 1; step <= 3 * 60 * 3 / 2; step++) // 90 minutes: the 1h windows drop old minutes, hours close.
        {
            batch.Clear();
            foreach (int key in keyIds)
            {
                batch.BeginEvent(view, T0 + (step * 20_000L));
                batch.AddString(item, key);
                batch.AddNumber(price, 0.5);
                batch.EndEvent();
            }

            engine.Ingest(batch);
            Assert.True(engine.Flush(TimeSpan.FromSeconds(30)));
            if (step % 7 == 0)
            {
                Check(engine, step, $"after step {step}", failures, "k7", $"k{Keys / 2}");
            }
        }

        Assert.Empty(failures);
        Assert.True(readsDuringRollUp > 100, $"only {readsDuringRollUp} reads happened in the middle of a roll-up");
        Assert.True(engine.PartialTilesRead > 100, $"only {engine.PartialTilesRead} reads used an open coarse tile");
    }

    /// <summary>Every window's count is the number of steps whose time falls in its reported interval, and sum half that.</summary>
    private static void Check(FreshetEngine engine, int steps, string when, List<string> failures, params string[] keys)
    {
        foreach (string key in keys)
        {
            foreach (var reading in engine.Reader.ReadVector("item", [key]).ValueOrThrow().Readings)
            {
                long expected = Enumerable.Range(1, steps).Count(s => T0 + (s * 20_000L) >= reading.FromMs && T0 + (s * 20_000L) < reading.ToMs);
                double value = reading.Value.Number;
                double want = reading.Feature == "views" ? expected : expected * 0.5;
                if (value != want)
                {
                    failures.Add($"{when}: {reading.Feature} {reading.Window} of {key} over [{TimeMath.FormatUtc(reading.FromMs)}, {TimeMath.FormatUtc(reading.ToMs)}) is {value}, expected {want}");
                }
            }
        }
    }
}
