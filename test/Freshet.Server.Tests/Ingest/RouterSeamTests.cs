using Freshet.Engine;
using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

/// <summary>
/// The ingest, health and stats endpoints depend on <see cref="IEventRouter"/> only: run against a router that is not
/// the engine's (as a scale-out ingest process would plug in), they take events, wait, count and report through it.
/// </summary>
public sealed class RouterSeamTests
{
    [Fact]
    public async Task PostEvents_RouterThatIsNotTheEngine_TakesTheEventsAndReportsItsStats()
    {
        var router = new RecordingRouter();
        await using var server = await StartWithAsync(router);

        var response = await ReadAsync(await server.Client.PostAsync("v1/events?wait=true",
            Ndjson(Event("view", T0, "a") + Event("view", T0 + 1000, "b") + Event("click", T0 + 2000, "a") + "{\"type\": \"view\"}\n")), 422);

        Assert.Equal(3, response.GetProperty("accepted").GetInt32());
        Assert.Equal(["view", "view", "click"], router.Types);
        Assert.Equal([1L], router.WaitedApplied); // ?wait=true waited on the router's sequence
        Assert.Equal(1, router.WaitedDurable);
        Assert.Equal(1, router.CountedRejected); // the event without a time, rejected by the parser
        Assert.Equal(0, server.Engine.GetStats().Accepted); // nothing reached the engine behind the other endpoints

        var stats = await GetAsync(server, "v1/stats", 200);
        Assert.Equal(3, stats.GetProperty("accepted").GetInt64());
        Assert.Equal(RecordingRouter.CatalogVersion, stats.GetProperty("catalog_version").GetInt64());
        var ready = await GetAsync(server, "readyz", 200);
        Assert.Equal(RecordingRouter.QueueCapacity, ready.GetProperty("queue_capacity").GetInt32());
    }

    [Fact]
    public async Task PostEvents_RouterFailedWithoutAStorageError_AnswersStorageFailedUnavailableAndNotReady()
    {
        var router = new RecordingRouter { Failure = new InvalidOperationException("the stream at 127.0.0.1:6379 is unreachable") };
        await using var server = await StartWithAsync(router);

        var problem = await ReadAsync(await server.Client.PostAsync("v1/events", Ndjson(Event("view", T0, "a"))), 503);

        Assert.Equal("https://freshet.dev/problems/storage-failed", problem.GetProperty("type").GetString());
        Assert.Equal("unavailable", problem.GetProperty("storage_problem").GetString());
        Assert.Contains("127.0.0.1:6379 is unreachable", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(router.Types);
        var ready = await GetAsync(server, "readyz", 503);
        Assert.Contains("127.0.0.1:6379 is unreachable", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    private static async Task<Handle> StartWithAsync(IEventRouter router)
    {
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(TestServer.Yaml, "test.yaml"), new EngineOptions { ShardCount = 1 });
        var server = await FreshetServer.StartAsync(engine, new ServerOptions { Url = "http://127.0.0.1:0", FrameworkLogging = false }, router);
        return new Handle(engine, server);
    }

    private static async Task<System.Text.Json.JsonElement> GetAsync(Handle server, string path, int expectedStatus)
    {
        using var response = await server.Client.GetAsync(path);
        return await ReadAsync(response, expectedStatus);
    }

    private static StringContent Ndjson(string body) => new(body, System.Text.Encoding.UTF8, "application/x-ndjson");

    private sealed class Handle(FreshetEngine engine, RunningServer server) : IAsyncDisposable
    {
        public FreshetEngine Engine => engine;

        public HttpClient Client { get; } = new() { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        public async ValueTask DisposeAsync()
        {
            Client.Dispose();
            await server.DisposeAsync();
            await engine.DisposeAsync();
        }
    }

    /// <summary>A router of its own: keeps the type of every event it takes and answers from its own counters.</summary>
    private sealed class RecordingRouter : IEventRouter
    {
        public const long CatalogVersion = 7;
        public const int QueueCapacity = 8;
        private long _sequence;
        private long _accepted;

        public List<string> Types { get; } = [];

        public List<long> WaitedApplied { get; } = [];

        public int WaitedDurable { get; private set; }

        public int CountedRejected { get; private set; }

        public FeatureCatalog Catalog { get; } = FeatureCatalog.Compile(FeatureDefinitionLoader.Parse(TestServer.Yaml, "test.yaml"), new StringInterner(), new EntityKeySpace());

        public StringInterner Strings { get; } = new();

        public long NowMs => T0;

        public bool IsSaturated => false;

        public Exception? Failure { get; init; }

        public IngestResult Ingest(EventBatch batch, int firstIndex = 0)
        {
            lock (Types)
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    Types.Add(batch.StringOf(batch[i].TypeId, Strings)); // A type the router has not pinned is local to the batch.
                }

                _accepted += batch.Count;
                return new IngestResult(batch.Count, 0, [], ++_sequence);
            }
        }

        public Task WaitDurableAsync(IngestResult result)
        {
            WaitedDurable++;
            return Task.CompletedTask;
        }

        public Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            WaitedApplied.Add(sequence);
            return Task.FromResult(true);
        }

        public void CountRejected(IEnumerable<EventError> errors) => CountedRejected += errors.Count();

        public EngineStats GetStats() => new(_accepted, 0, new Dictionary<EventRejectReason, long>(), 0, new Dictionary<string, long>(), _sequence, T0,
            CatalogVersion, new DedupStats(0, 0, 0, 0, 0, 0, 0, 0, 0), [new ShardStats(0, _accepted, _sequence, 0, QueueCapacity)]);
    }
}
