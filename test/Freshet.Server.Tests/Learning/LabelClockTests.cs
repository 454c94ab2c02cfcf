using System.Text;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
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
