using Freshet.Events;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;

namespace Freshet.Engine.Tests.Reading;

public sealed class ShardFeatureReaderTests
{
    private const long T0 = 1_763_719_200_000;

    private const string Yaml = """
        entities:
          item: item
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    /// <summary>
    /// A read between a catalog swap and the shard applying it names a feature the shard does not run yet: the reader
    /// answers Unavailable (retry), where it used to throw out of the shard (a 500 on HTTP, a caught exception in the
    /// learner's live features).
    /// </summary>
    [Fact]
    public async Task ReadVector_NewFeatureBeforeTheShardSwitches_IsUnavailableNotAnException()
    {
        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "swap.yaml"), new EngineOptions
        {
            ShardCount = 1,
            Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Hour)),
        });
        int view = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item"), key = engine.Strings.GetOrAdd("i1");
        var batch = new EventBatch();
        var statuses = new HashSet<ReadStatus>();
        for (int attempt = 0; attempt < 20 && !statuses.Contains(ReadStatus.Unavailable); attempt++)
        {
            // A long queue of events ahead of the swap keeps the shard on the old catalog while the read runs.
            batch.Clear();
            for (int i = 0; i < 20_000; i++)
            {
                batch.BeginEvent(view, T0 + i);
                batch.AddString(item, key);
                batch.EndEvent();
            }

            engine.Ingest(batch);
            string feature = $"item_views_{attempt}";
            engine.SwapCatalog(FeatureDefinitionLoader.Parse($"{Yaml}\n  {feature}: {{ entity: item, events: [view], aggregation: count, windows: [1d] }}", "swap.yaml"));
            var read = engine.Reader.ReadVector("item", ["i1"], new VectorQuery { Features = [feature] });
            Assert.True(read.Status is ReadStatus.Ok or ReadStatus.Unavailable, $"{read.Status}: {read.Problem}");
            if (!read.IsOk)
            {
                Assert.Contains(feature, read.Problem, StringComparison.Ordinal);
                Assert.Contains("retry", read.Problem, StringComparison.Ordinal);
            }

            statuses.Add(read.Status);
            Assert.True(engine.Flush(TimeSpan.FromSeconds(30)), "the shard did not apply the swap within 30 s");
            Assert.True(engine.Reader.ReadVector("item", ["i1"], new VectorQuery { Features = [feature] }).IsOk, "once the shard switched, the feature reads");
        }

        Assert.Contains(ReadStatus.Unavailable, statuses);
    }
}
