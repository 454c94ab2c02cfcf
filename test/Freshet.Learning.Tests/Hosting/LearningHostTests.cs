using Freshet.Events;
using Freshet.Features;
using Freshet.Learning.Hosting;
using Freshet.Learning.Pipeline;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Testing.Log;

namespace Freshet.Learning.Tests.Hosting;

/// <summary>
/// The learning host runs on the seams alone: here on an in-memory log and a router and feed that are not the engine's.
/// A model that saved its state catches up from the log's position it saved, and ends bit-identical to one that learned
/// the whole log in one go.
/// </summary>
public sealed class LearningHostTests : IDisposable
{
    private const string Features = """
        settings: { clock: event_time, allowed_lateness: 1m, max_future: 100000d }
        entities: { item: item, user: user }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    private const string Models = """
        models:
          clicks:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 5m
            fields: [item, user]
            ftrl: { alpha: 0.3, bits: 12, prior_rate: 0.1 }
        """;

    private const long T0 = 1_700_000_000_000;

    private readonly string _directory = Directory.CreateTempSubdirectory("freshet-host-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Start_SavedStateAndALongerLog_LearnsOnlyTheEventsAfterItsPositionAndMatchesOneWholeRun()
    {
        var strings = new StringInterner();
        var catalog = FeatureCatalog.Compile(FeatureDefinitionLoader.Parse(Features, "features.yaml"), strings, new EntityKeySpace());
        var models = ModelDefinitionLoader.Parse(Models, "models.yaml");
        var storage = new InMemoryEventLog.Storage(partitions: 1);
        using var log = new InMemoryEventLog(storage, strings);
        var (first, second) = Halves(strings);
        var router = new StreamRouter(catalog, strings);

        // The first half, learned by a host that saves its model when it stops.
        log.Append(0, first, 0, first.Count);
        router.NowMs = first[first.Count - 1].TimeMs;
        var before = new LearningHost(router, router, new NoReader(), log, models, Path.Combine(_directory, "restarted"));
        before.Start();
        Assert.Equal(first.Count, before.ReplayedEvents);
        before.Stop();

        // The second half arrives while no host runs; the restarted one reads only that from the log.
        log.Append(0, second, 0, second.Count);
        router.NowMs = second[second.Count - 1].TimeMs;
        var restarted = new LearningHost(router, router, new NoReader(), log, models, Path.Combine(_directory, "restarted"));
        restarted.Start();
        Assert.Equal(second.Count, restarted.ReplayedEvents);
        Assert.Equal((first.Count + second.Count, first.Count + second.Count), restarted.Positions);
        Assert.NotNull(router.Observer); // Following the feed from here.
        restarted.Stop();
        Assert.Null(router.Observer);

        var whole = new LearningHost(router, router, new NoReader(), log, models, Path.Combine(_directory, "whole"));
        whole.Start();
        Assert.Equal(first.Count + second.Count, whole.ReplayedEvents);
        whole.Stop();

        Assert.Equal((0L, (string?)null), restarted.Failures);
        var figures = restarted.Figures();
        var report = Assert.Single(figures.ClickModels);
        Assert.Equal("clicks", report.Definition.Name);
        Assert.True(report.Figures.Labels.Exposures > 500, report.Figures.Labels.ToString());
        Assert.Equal(whole.Figures().ClickModels[0].Figures, report.Figures);
        Assert.True(State(whole).AsSpan().SequenceEqual(State(restarted)), "the restarted model differs from the one that learned the whole log");
    }

    private static byte[] State(LearningHost host)
    {
        using var state = new MemoryStream();
        using (var w = new BinaryWriter(state))
        {
            Assert.Single(host.ClickModels).Save(w);
        }

        return state.ToArray();
    }

    /// <summary>Two hours of views, one every 5 s, with clicks a minute later on some; split in two halves by time.</summary>
    private static (EventBatch First, EventBatch Second) Halves(StringInterner strings)
    {
        var random = new Random(5);
        var events = new List<(string Type, long TimeMs, string User, string Item)>();
        for (int n = 0; n < 1_440; n++)
        {
            long time = T0 + (n * 5_000L);
            var view = ("view", time, $"u{random.Next(50)}", $"i{random.Next(20)}");
            events.Add(view);
            if (random.NextDouble() < 0.2)
            {
                events.Add(view with { Item1 = "click", Item2 = time + 60_000 });
            }
        }

        var ordered = events.OrderBy(e => e.TimeMs).ToList();
        var first = new EventBatch();
        var second = new EventBatch();
        for (int i = 0; i < ordered.Count; i++)
        {
            var (type, timeMs, user, item) = ordered[i];
            var batch = i < ordered.Count / 2 ? first : second;
            batch.BeginEvent(strings.GetOrAdd(type), timeMs);
            batch.AddString(strings.GetOrAdd("user"), strings.GetOrAdd(user));
            batch.AddString(strings.GetOrAdd("item"), strings.GetOrAdd(item));
            batch.EndEvent();
        }

        return (first, second);
    }

    /// <summary>A router and feed that are not the engine: the clock and strings the host reads, and the observer it sets.</summary>
    private sealed class StreamRouter(FeatureCatalog catalog, StringInterner strings) : IEventRouter, IAcceptedFeed
    {
        public AcceptedObserver? Observer { get; private set; }

        public FeatureCatalog Catalog => catalog;

        public StringInterner Strings => strings;

        public long NowMs { get; set; } = long.MinValue;

        public bool IsSaturated => false;

        public Exception? Failure => null;

        public IngestResult Ingest(EventBatch batch, int firstIndex = 0) => throw new NotSupportedException("the host never ingests");

        public Task WaitDurableAsync(IngestResult result) => throw new NotSupportedException("the host never ingests");

        public Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException("the host never waits on ingest");

        public void CountRejected(IEnumerable<EventError> errors) => throw new NotSupportedException("the host never ingests");

        public EngineStats GetStats() => throw new NotSupportedException("a host with a log starts from its saved positions");

        public void Observe(AcceptedObserver? observer) => Observer = observer;

        public bool WaitApplied(long sequence, TimeSpan timeout) => true;

        public void HoldRetention(long asOfMs)
        {
        }
    }

    /// <summary>No model here reads live features.</summary>
    private sealed class NoReader : IFeatureReader
    {
        public FeatureCatalog Catalog => throw Unexpected();

        public long NowMs => throw Unexpected();

        public ReadResult<FeatureVector> ReadVector(string entity, IReadOnlyList<string> key, VectorQuery? query = null) => throw Unexpected();

        public void ReadVectors(string entity, IReadOnlyList<IReadOnlyList<string>> keys, VectorQuery? query, Span<ReadResult<FeatureVector>> results) => throw Unexpected();

        public ReadResult<FeatureSeries> ReadSeries(string feature, IReadOnlyList<string> key, long resolutionMs, long? fromMs = null, long? toMs = null) => throw Unexpected();

        public ReadResult<FeatureProfile> ReadProfile(string feature, IReadOnlyList<string> key, ProfileKind kind, int? days = null) => throw Unexpected();

        private static NotSupportedException Unexpected() => new("no model here reads live features");
    }
}
