using Freshet.Engine;
using Freshet.Events;
using Freshet.Features;
using Freshet.Learning.Hosting;
using Freshet.Learning.Pipeline;

namespace Freshet.Server.Tests.Learning;

/// <summary>
/// A click model reading live features learns the same model from the same stream however its learner is timed
/// against ingest and the shards: keeping up, far behind (the engine's clock hours ahead, the fine tiles it would read
/// past their retention), or ahead of the shards (reading before they applied the exposure's batch). The model's
/// saved state, which holds every weight and figure, is compared byte for byte.
/// </summary>
public sealed class LiveFeatureDeterminismTests
{
    private const string Features = """
        settings:
          clock: event_time
          allowed_lateness: 1m
          max_future: 100000d
          tiles:
            - { resolution: 1m, keep: 90m }
            - { resolution: 1h, keep: 2d }
        entities: { item: item, user: user }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
          item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h] }
          user_views: { entity: user, events: [view], aggregation: count, windows: [10m] }
        """;

    private const string Models = """
        models:
          clicks:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 5m
            fields: [item]
            live:
              - { entity: item, feature: item_views, window: 1h }
              - { entity: item, feature: item_clicks, window: 1h }
              - { entity: user, feature: user_views, window: 10m }
            ftrl: { alpha: 0.3, bits: 16, prior_rate: 0.1 }
        """;

    private const long T0 = 1_700_000_000_000;

    [Fact]
    public async Task Learn_SameStreamWithTheLearnerKeepingUpBehindOrAhead_GivesTheSameModel()
    {
        var stream = Stream();
        byte[] keepingUp = await LearnAsync(stream, Timing.KeepingUp);
        byte[] behind = await LearnAsync(stream, Timing.Behind);
        byte[] ahead = await LearnAsync(stream, Timing.AheadOfShards);

        Assert.True(keepingUp.AsSpan().SequenceEqual(behind), "the learner far behind learned another model");
        Assert.True(keepingUp.AsSpan().SequenceEqual(ahead), "the learner ahead of the shards learned another model");
    }

    private enum Timing
    {
        /// <summary>Each batch is learned before the next is ingested.</summary>
        KeepingUp,

        /// <summary>The learner waits until the whole stream is ingested: the engine's clock is six hours ahead.</summary>
        Behind,

        /// <summary>The shards are paused while the learner takes each batch, so it gets there before they do.</summary>
        AheadOfShards,
    }

    private static async Task<byte[]> LearnAsync(List<Event> stream, Timing timing)
    {
        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Features, "features.yaml"), new EngineOptions { ShardCount = 2 });
        var learning = new LearningHost(engine.Router, engine.Feed, engine.Reader, engine.Log, ModelDefinitionLoader.Parse(Models, "models.yaml"));
        using var gate = new ManualResetEventSlim(timing != Timing.Behind);
        using var taken = new SemaphoreSlim(0);
        learning.BeforeFeeding = () =>
        {
            taken.Release();
            gate.Wait();
        };
        learning.Start();
        var batch = new EventBatch();
        foreach (var chunk in stream.Chunk(250))
        {
            batch.Clear();
            foreach (var e in chunk)
            {
                batch.BeginEvent(engine.Strings.GetOrAdd(e.Type), e.TimeMs);
                batch.AddString(engine.Strings.GetOrAdd("user"), engine.Strings.GetOrAdd(e.User));
                batch.AddString(engine.Strings.GetOrAdd("item"), engine.Strings.GetOrAdd(e.Item));
                batch.EndEvent();
            }

            if (timing == Timing.AheadOfShards)
            {
                engine.PauseShards();
            }

            Assert.Equal(chunk.Length, engine.Ingest(batch).Accepted);
            if (timing == Timing.AheadOfShards)
            {
                Assert.True(await taken.WaitAsync(TimeSpan.FromSeconds(30)), "the learner did not take the batch");
                engine.ResumeShards();
            }

            if (timing != Timing.Behind)
            {
                WaitLearned(learning);
            }
        }

        gate.Set();
        WaitLearned(learning);
        learning.Stop();
        Assert.Equal(0, learning.SkippedEvents);
        Assert.Equal(0, learning.Failures.Count);
        var model = Assert.Single(learning.ClickModels);
        Assert.True(model.Labels.Exposures > 4_000, model.Labels.ToString());
        using var state = new MemoryStream();
        using (var w = new BinaryWriter(state))
        {
            model.Save(w);
        }

        return state.ToArray();
    }

    private static void WaitLearned(LearningHost learning)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (learning.Positions is var (accepted, learned) && learned < accepted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the learner reached {learned} of {accepted} within 60 s");
            Thread.Yield();
        }
    }

    private sealed record Event(string Type, long TimeMs, string User, string Item);

    /// <summary>Six hours of views, one every 5 s, of 40 items by 100 users; low-numbered items are clicked more, a minute later.</summary>
    private static List<Event> Stream()
    {
        var random = new Random(11);
        var events = new List<Event>();
        for (int n = 0; n < 6 * 720; n++)
        {
            long time = T0 + (n * 5_000L);
            int item = (int)(40 * random.NextDouble() * random.NextDouble());
            var view = new Event("view", time, $"u{random.Next(100)}", $"i{item}");
            events.Add(view);
            if (random.NextDouble() < 0.5 / (1 + item))
            {
                events.Add(view with { Type = "click", TimeMs = time + 60_000 });
            }
        }

        return [.. events.OrderBy(e => e.TimeMs)];
    }
}
