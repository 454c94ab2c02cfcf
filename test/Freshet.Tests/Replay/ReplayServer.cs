using System.Globalization;
using System.Text.Json;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Server;

namespace Freshet.Cli.Tests.Replay;

/// <summary>The real server on a loopback port around a fresh engine, and a client that reads feature values from it.</summary>
internal sealed class ReplayServer : IAsyncDisposable
{
    /// <summary>Per-item counts by type, per-user distinct items and spend, per-category counts, per-session distinct items.</summary>
    public const string Yaml = """
        settings:
          clock: event_time
          allowed_lateness: 10m
          tiles:
            - { resolution: 1m, keep: 3h }
            - { resolution: 1h, keep: 8d }
            - { resolution: 1d, keep: 35d }
        entities:
          item: item
          user: user
          category: category
          session: session
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 1d, 7d] }
          item_carts: { entity: item, events: [cart], aggregation: count, windows: [1d, 7d] }
          item_purchases: { entity: item, events: [purchase], aggregation: count, windows: [1d, 7d] }
          item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 1d, 7d] }
          user_items: { entity: user, events: [view, cart, purchase], aggregation: distinct, field: item, windows: [1d, 7d] }
          user_spend: { entity: user, events: [purchase], aggregation: sum, field: price, windows: [1d, 7d] }
          category_events: { entity: category, events: [view, cart, purchase], aggregation: count, windows: [1d, 7d] }
          session_items: { entity: session, events: [click], aggregation: distinct, field: item, windows: [1d, 7d] }
        """;

    private ReplayServer(FreshetEngine engine, RunningServer server)
    {
        Engine = engine;
        Server = server;
        Client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 16 }) { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public FreshetEngine Engine { get; }

    public RunningServer Server { get; }

    public HttpClient Client { get; }

    public string Url => Server.BaseAddress.ToString();

    public static async Task<ReplayServer> StartAsync(string yaml = Yaml, EngineOptions? engineOptions = null)
    {
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(yaml, "replay-test.yaml"), engineOptions ?? new EngineOptions { ShardCount = 2 });
        var server = await FreshetServer.StartAsync(engine, new ServerOptions { Url = "http://127.0.0.1:0", FrameworkLogging = false });
        return new ReplayServer(engine, server);
    }

    /// <summary>One window of one feature of one key, and the interval the server says it summed.</summary>
    public sealed record Reading(double? Value, long FromMs, long ToMs);

    /// <summary>Reads <paramref name="features"/> over <paramref name="window"/> at <paramref name="asOfMs"/> for many keys, a few requests at a time.</summary>
    public async Task<Dictionary<string, Dictionary<string, Reading>>> ReadAsync(string entity, IEnumerable<string> keys, string[] features, string window, long asOfMs)
    {
        var results = new System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, Reading>>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (key, ct) =>
        {
            string path = $"v1/vector/{entity}?key={Uri.EscapeDataString(key)}&features={string.Join(',', features)}&windows={window}&as_of={asOfMs}";
            var root = await GetJsonAsync(path, ct);
            var byFeature = new Dictionary<string, Reading>(StringComparer.Ordinal);
            foreach (var feature in root.GetProperty("features").EnumerateObject())
            {
                var reading = feature.Value.GetProperty(window);
                var value = reading.GetProperty("value");
                byFeature[feature.Name] = new Reading(value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null,
                    reading.GetProperty("from").GetInt64(), reading.GetProperty("to").GetInt64());
            }

            results[key] = byFeature;
        });
        return new Dictionary<string, Dictionary<string, Reading>>(results, StringComparer.Ordinal);
    }

    /// <summary>The hourly series of a feature for one key over [from, to): bucket start → value.</summary>
    public async Task<Dictionary<long, double>> SeriesAsync(string feature, string key, long fromMs, long toMs)
    {
        var root = await GetJsonAsync($"v1/series/{feature}?key={Uri.EscapeDataString(key)}&resolution=1h&from={fromMs}&to={toMs}", default);
        return root.GetProperty("points").EnumerateArray().ToDictionary(p => p.GetProperty("start").GetInt64(), p => p.GetProperty("value").GetDouble());
    }

    public async Task<JsonElement> GetJsonAsync(string path, CancellationToken cancellationToken)
    {
        using var response = await Client.GetAsync(path, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        Assert.True(response.IsSuccessStatusCode, $"GET {path}: {(int)response.StatusCode} {text}");
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public static string Ms(long ms) => ms.ToString(CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Engine.DisposeAsync();
    }
}
