using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Freshet.Engine;
using Freshet.Features;

namespace Freshet.Server.Tests;

/// <summary>
/// The real server on a loopback port (Kestrel, port 0) around a fresh engine, and an HTTP client for it. The wall
/// clock is fixed by hand so "far future" and wall-clock tests are exact.
/// </summary>
internal sealed class TestServer : IAsyncDisposable
{
    public const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z

    public const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 10m
          max_future: 5m
        entities:
          item: item
          user: user
          user_category: [user, category]
          site: []
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
          item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 24h] }
          item_ctr: { entity: item, aggregation: ratio, numerator: item_clicks, denominator: item_views, prior: { alpha: 1, beta: 9 }, windows: [1h] }
          item_revenue: { entity: item, events: [purchase], aggregation: sum, field: price, windows: [24h] }
          item_trend: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h }
          user_recent_items: { entity: user, events: [view], aggregation: last_k, field: item, k: 3, windows: [24h] }
          user_category_views: { entity: user_category, events: [view], aggregation: count, windows: [24h] }
          site_top_items: { entity: site, events: [view], aggregation: top_k, field: item, k: 5, windows: [1h, 24h] }
        """;

    private TestServer(FreshetEngine engine, RunningServer server)
    {
        Engine = engine;
        Server = server;
        Client = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public FreshetEngine Engine { get; }

    public RunningServer Server { get; }

    public HttpClient Client { get; }

    public static async Task<TestServer> StartAsync(ServerOptions? options = null, string yaml = Yaml, EngineOptions? engineOptions = null, string sourceName = "test.yaml")
    {
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(yaml, sourceName), (engineOptions ?? new EngineOptions { ShardCount = 2 }) with
        {
            Time = new FixedTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + (2 * 3_600_000))),
        });
        var server = await FreshetServer.StartAsync(engine, (options ?? new ServerOptions()) with { Url = "http://127.0.0.1:0", FrameworkLogging = false });
        return new TestServer(engine, server);
    }

    /// <summary>Posts NDJSON (or a JSON array) to /v1/events?wait=true, so the accepted events are visible when it returns.</summary>
    public Task<HttpResponseMessage> PostEventsAsync(string body, string contentType = "application/x-ndjson", bool wait = true)
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return Client.PostAsync(wait ? "v1/events?wait=true" : "v1/events", content);
    }

    public async Task<JsonElement> GetJsonAsync(string path, int expectedStatus = 200)
    {
        using var response = await Client.GetAsync(path);
        return await ReadAsync(response, expectedStatus);
    }

    public static async Task<JsonElement> ReadAsync(HttpResponseMessage response, int expectedStatus)
    {
        string text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == expectedStatus, $"expected {expectedStatus}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public static string Event(string type, long time, string? item = null, string? user = null, string? category = null, double? price = null, string? id = null)
    {
        var parts = new List<string>();
        if (id is not null)
        {
            parts.Add($"\"id\": \"{id}\"");
        }

        parts.Add($"\"type\": \"{type}\"");
        parts.Add($"\"time\": {time}");
        if (item is not null)
        {
            parts.Add($"\"item\": \"{item}\"");
        }

        if (user is not null)
        {
            parts.Add($"\"user\": \"{user}\"");
        }

        if (category is not null)
        {
            parts.Add($"\"category\": \"{category}\"");
        }

        if (price is { } p)
        {
            parts.Add($"\"price\": {p.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        }

        return "{" + string.Join(", ", parts) + "}\n";
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Engine.DisposeAsync();
    }

    private sealed class FixedTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
