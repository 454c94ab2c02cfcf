using System.Text;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Learning;

/// <summary>
/// A click model's attribution windows close on the clock, so its figures become final without more events: at the
/// end of a stream (<c>POST /v1/models/flush?close_windows=true</c>) and, in wall-clock mode, as time passes.
/// </summary>
public sealed class LabelClockTests
{
    private const string Models = """
        models:
          clicks:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 10m
            fields: [user, item, category]
            ftrl: { alpha: 0.3, bits: 18, prior_rate: 0.05 }
        """;

    [Fact]
    public async Task PostFlush_CloseWindows_JudgesEveryExposureOnceAtTheDataRate()
    {
        await using var server = await StartAsync(new ServerOptions { Models = ModelDefinitionLoader.Parse(Models, "models.yaml") });
        var (lines, _) = ShopStream.Generate(seed: 9, views: 2_000, itemsPerCategory: 200, stepMs: 1_000);

        // Posted without waiting for the learner: the flush itself waits for it.
        foreach (var part in lines.Chunk(400))
        {
            await ReadAsync(await server.PostEventsAsync(string.Concat(part), wait: false), 200);
        }

        var body = await ReadAsync(await server.Client.PostAsync("v1/models/flush?close_windows=true", null), 200);

        Assert.Equal(lines.Count, body.GetProperty("events_learned").GetInt64());
        var clicks = body.GetProperty("models")[0];
        long examples = clicks.GetProperty("exposures_scored").GetInt64() - clicks.GetProperty("repeated_exposures").GetInt64();
        Assert.Equal(2_000, clicks.GetProperty("exposures_scored").GetInt64());
        Assert.Equal(0, clicks.GetProperty("pending").GetInt64());
        Assert.Equal(examples, clicks.GetProperty("labels_final").GetInt64());
        Assert.Equal(examples, clicks.GetProperty("positives").GetInt64() + clicks.GetProperty("negatives").GetInt64());
        var quality = clicks.GetProperty("quality");
        Assert.Equal(examples, quality.GetProperty("examples").GetInt64());
        Assert.Equal(clicks.GetProperty("positives").GetInt64(), quality.GetProperty("positives").GetInt64());

        // GET /v1/models says the same afterwards.
        var after = (await server.GetJsonAsync("v1/models")).GetProperty("models")[0];
        Assert.Equal(clicks.GetProperty("quality").ToString(), after.GetProperty("quality").ToString());
    }

    /// <summary>
    /// <c>?wait=learned</c> answers once the models have learned the request's events (and all accepted before), so a
    /// read of <c>/v1/models</c> right after shows them; <c>?wait=true</c> waits for queries only, and with a slow
    /// learner the same read shows events still to learn (so the test tells the two apart).
    /// </summary>
    [Fact]
    public async Task PostEvents_WaitLearned_AnswersOnceTheModelsHaveLearnedThem()
    {
        await using var server = await StartAsync(new ServerOptions { Models = ModelDefinitionLoader.Parse(Models, "models.yaml") });
        var learning = server.Server.App.Services.GetRequiredService<Freshet.Learning.Hosting.LearningHost>();
        learning.BeforeFeeding = () => Thread.Sleep(50);
        var (lines, _) = ShopStream.Generate(seed: 5, views: 600, itemsPerCategory: 50, stepMs: 1_000);
        var parts = lines.Chunk(100).Select(chunk => string.Concat(chunk)).ToList();

        foreach (var part in parts.Take(parts.Count / 2))
        {
            await ReadAsync(await server.PostEventsAsync(part, wait: true), 200);
        }

        var visibleOnly = await server.GetJsonAsync("v1/models");
        Assert.True(visibleOnly.GetProperty("learner_lag").GetInt64() > 0, $"?wait=true: the slow learner had caught up already: {visibleOnly}");

        foreach (var part in parts.Skip(parts.Count / 2))
        {
            using var content = new StringContent(part, Encoding.UTF8, new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson"));
            await ReadAsync(await server.Client.PostAsync("v1/events?wait=learned", content), 200);
            var models = await server.GetJsonAsync("v1/models");
            Assert.Equal(0, models.GetProperty("learner_lag").GetInt64());
            Assert.Equal(models.GetProperty("accepted_through").GetInt64(), models.GetProperty("learned_through").GetInt64());
        }

        Assert.Equal(lines.Count, (await server.GetJsonAsync("v1/models")).GetProperty("events_learned").GetInt64());
    }

    [Fact]
    public async Task PostEvents_WaitOfAnotherKind_IsNamed_AndNothingIsTaken()
    {
        await using var server = await StartAsync(new ServerOptions { Models = ModelDefinitionLoader.Parse(Models, "models.yaml") });
        var (lines, _) = ShopStream.Generate(seed: 5, views: 10, itemsPerCategory: 5, stepMs: 1_000);
        using var content = new StringContent(string.Concat(lines), Encoding.UTF8, new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson"));
        var problem = await ReadAsync(await server.Client.PostAsync("v1/events?wait=soon", content), 400);
        Assert.Contains("wait: 'soon' is not false, true", problem.GetProperty("detail").GetString());
        Assert.Equal(0, (await server.GetJsonAsync("v1/stats")).GetProperty("accepted").GetInt64());
    }

    [Fact]
    public async Task PostFlush_BadParameters_AreNamed()
    {
        await using var server = await StartAsync(new ServerOptions { Models = ModelDefinitionLoader.Parse(Models, "models.yaml") });

        var closeWindows = await ReadAsync(await server.Client.PostAsync("v1/models/flush?close_windows=maybe", null), 400);
        Assert.Contains("close_windows: 'maybe' is not true or false", closeWindows.GetProperty("detail").GetString());
        var timeout = await ReadAsync(await server.Client.PostAsync("v1/models/flush?timeout=soon", null), 400);
        Assert.Contains("timeout: 'soon' is not a duration", timeout.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task WallClockServer_ClosesWindowsAsTimePasses_WithoutEvents()
    {
        const string yaml = """
            settings: { clock: wall, allowed_lateness: 1m, max_future: 1m }
            entities: { item: item }
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
            """;
        var clock = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0));
        await using var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(yaml, "wall.yaml"), new EngineOptions { ShardCount = 2, Time = clock });
        await using var server = await FreshetServer.StartAsync(engine, new ServerOptions
        {
            Url = "http://127.0.0.1:0",
            FrameworkLogging = false,
            Models = ModelDefinitionLoader.Parse(Models, "models.yaml"),
        });
        using var client = new HttpClient { BaseAddress = server.BaseAddress };
        var views = new StringBuilder();
        for (int i = 0; i < 50; i++)
        {
            views.Append(Event("view", T0 - (i * 1_000), item: $"i{i}", user: $"u{i % 7}", category: "c"));
        }

        using var content = new StringContent(views.ToString(), Encoding.UTF8, "application/x-ndjson");
        await ReadAsync(await client.PostAsync("v1/events", content), 200);
        var learned = await ReadAsync(await client.PostAsync("v1/models/flush", null), 200);
        Assert.Equal(50, learned.GetProperty("models")[0].GetProperty("pending").GetInt64()); // Waiting only: the windows stay open.

        // Eleven minutes pass with no events; the server's tick (once a second) closes the ten-minute windows.
        clock.Now = clock.Now.AddMinutes(11);
        var deadline = DateTime.UtcNow.AddSeconds(15);
        long final;
        while ((final = (await ReadAsync(await client.GetAsync("v1/models"), 200)).GetProperty("models")[0].GetProperty("labels_final").GetInt64()) < 50)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected the 50 views' windows to close within 15 s of the clock passing them; {final} closed");
            await Task.Delay(100);
        }
    }

    /// <summary>A wall clock the test moves; read by the engine's threads.</summary>
    private sealed class ManualTimeProvider(DateTimeOffset now) : TimeProvider
    {
        private long _nowMs = now.ToUnixTimeMilliseconds();

        public DateTimeOffset Now
        {
            get => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _nowMs));
            set => Interlocked.Exchange(ref _nowMs, value.ToUnixTimeMilliseconds());
        }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
