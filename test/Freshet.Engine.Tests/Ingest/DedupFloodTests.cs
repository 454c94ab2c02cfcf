using System.Text;
using Freshet.Reading;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Ingest;

/// <summary>
/// The dedup window under more ids than it once held (about 1 M, after which a resend seconds later counted again): a
/// resend inside the horizon is counted once or the request refused, never counted twice, and the stats say how far
/// back the window reaches.
/// </summary>
public sealed class DedupFloodTests
{
    internal const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    internal const string Yaml = """
        settings: { clock: event_time, allowed_lateness: 1h, max_future: 5m }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
        """;

    internal static FreshetEngine NewEngine(long memoryBytes = 256L << 20, global::Freshet.Engine.Storage.StorageOptions? storage = null) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Day)),
            DedupHorizonMs = 10 * Duration.Minute,
            DedupMemoryBytes = memoryBytes,
            Storage = storage,
        });

    /// <summary>Views of <paramref name="item"/> with ids "e{first}"… (hashed as the JSON parser hashes them); no ids when <paramref name="first"/> is negative.</summary>
    internal static EventBatch Views(FreshetEngine engine, long first, int count, long timeMs, string item)
    {
        var batch = new EventBatch(count);
        int view = engine.Strings.GetOrAdd("view"), itemName = engine.Strings.GetOrAdd("item"), itemValue = engine.Strings.GetOrAdd(item);
        for (int i = 0; i < count; i++)
        {
            ulong id = first < 0 ? 0 : Math.Max(1UL, Freshet.Hashing.XxHash64.Hash(Encoding.UTF8.GetBytes($"e{first + i}")));
            batch.BeginEvent(view, timeMs, id);
            batch.AddString(itemName, itemValue);
            batch.EndEvent();
        }

        return batch;
    }

    /// <summary>Ingests <paramref name="ids"/> new ids for item "flood" in batches of 10,000, 10 ms of event time apart from <paramref name="fromMs"/>.</summary>
    internal static long Flood(FreshetEngine engine, long firstId, int ids, long fromMs)
    {
        long time = fromMs;
        for (int done = 0; done < ids; done += 10_000)
        {
            var result = engine.Ingest(Views(engine, firstId + done, Math.Min(10_000, ids - done), time, "flood"));
            Assert.Null(result.Refused);
            time += 10;
        }

        return time;
    }

    internal static double ViewsOf(FreshetEngine engine, string item)
    {
        Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "the shards did not apply the batches within 30 s");
        return engine.Reader.ReadVector("item", [item], new VectorQuery { Features = ["item_views"] }).ValueOrThrow().Find("item_views", "1d")!.Value.Number;
    }

    [Fact]
    public async Task Ingest_ResendAfterMoreIdsThanTheOldCapacity_IsCountedOnce_AndStatsShowTheHorizonCovered()
    {
        await using var engine = NewEngine();
        var original = Views(engine, first: 0, count: 1_000, T0, "a");
        Assert.Equal(1_000, engine.Ingest(original).Accepted);

        // 2.2 M more ids within 3 s of engine time: the old two-generation window of ~1 M ids had forgotten the batch.
        long now = Flood(engine, firstId: 1_000, ids: 2_200_000, fromMs: T0 + 1);
        var resend = engine.Ingest(original);

        Assert.Equal((0, 1_000), (resend.Accepted, resend.Duplicates));
        Assert.Equal(1_000, ViewsOf(engine, "a"));
        var dedup = engine.GetStats().Dedup;
        Assert.Equal(10 * Duration.Minute, dedup.HorizonMs);
        Assert.Equal(2_201_000, dedup.Ids);
        Assert.Equal(now - 10 - T0, dedup.CoveredMs); // the oldest id (the original batch, at T0) is that old now
        Assert.Equal(0, dedup.RefusedBatches);
        Assert.Equal(0, dedup.ForgottenEarly);
        Assert.True(dedup.Bytes <= dedup.BudgetBytes, $"{dedup.Bytes} bytes held, over the {dedup.BudgetBytes} budget");
    }

    [Fact]
    public async Task Ingest_BudgetFullInsideTheHorizon_RefusesTheWholeBatchAndNeverForgetsEarly()
    {
        await using var engine = NewEngine(memoryBytes: EngineOptions.DedupMemoryMinBytes); // 64 KiB: at most 6,144 ids
        var original = Views(engine, first: 0, count: 500, T0, "a");
        Assert.Equal(500, engine.Ingest(original).Accepted);

        global::Freshet.Seams.IngestResult? refused = null;
        long next = 500;
        for (int attempt = 0; attempt < 40 && refused is null; attempt++, next += 500)
        {
            var result = engine.Ingest(Views(engine, next, 500, T0 + 1_000, "b"));
            refused = result.Refused is null ? null : result;
        }

        Assert.NotNull(refused);
        Assert.Equal((0, 0), (refused.Accepted, refused.Duplicates));
        Assert.Contains("10m", refused.Refused!.Message, StringComparison.Ordinal);
        Assert.Contains("--dedup-memory", refused.Refused.Message, StringComparison.Ordinal);
        Assert.InRange(refused.Refused.RetryAfterMs, 1, 10 * Duration.Minute);
        // Everything remembered is still remembered: the original is a duplicate, the refused batch counted nowhere.
        var resend = engine.Ingest(original);
        Assert.Equal((0, 500), (resend.Accepted, resend.Duplicates));
        double bViews = ViewsOf(engine, "b");
        // Events without ids are not affected.
        Assert.Equal(300, engine.Ingest(Views(engine, first: -1, count: 300, T0 + 2_000, "c")).Accepted);
        var dedup = engine.GetStats().Dedup;
        Assert.Equal(1, dedup.RefusedBatches);
        Assert.Equal(500, dedup.RefusedIds);
        Assert.Equal(0, dedup.ForgottenEarly);
        Assert.Equal(2_000, dedup.CoveredMs);
        Assert.True(dedup.Bytes <= dedup.BudgetBytes, $"{dedup.Bytes} bytes held, over the {dedup.BudgetBytes} budget");

        // Once the clock is a horizon past the oldest ids they expire, and the refused batch is taken when resent.
        Assert.Equal(1, engine.Ingest(Views(engine, first: -1, count: 1, T0 + (10 * Duration.Minute) + 1_001, "c")).Accepted);
        var retried = engine.Ingest(Views(engine, next - 500, 500, T0 + (10 * Duration.Minute) + 1_001, "b"));
        Assert.Equal((500, 0), (retried.Accepted, retried.Duplicates));
        Assert.Equal(bViews + 500, ViewsOf(engine, "b"));
    }
}
