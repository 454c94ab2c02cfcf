using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Server;

namespace Freshet.Cli.Tests.Query;

/// <summary>
/// The real server on a loopback port with a handful of events whose counts are known exactly, shared by the tests of
/// one class (they only read). The events are posted with <c>?wait=true</c>, so they are visible when it starts.
/// </summary>
public sealed class QueryServerFixture : IAsyncLifetime
{
    public const long T0 = 1_763_719_200_000; // 2025-11-21T10:00:00Z, a Friday.

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

    /// <summary>
    /// Views: a ×3, b ×2, c ×1; one click on a; one purchase of a for 12.5. By (user, category): u1/shoes 2, u1/bags 1,
    /// u2/shoes 1, u3/bags 1 (c's view has no category). u1 viewed a, a, b, newest last. The last event is at 10:08.
    /// </summary>
    private static readonly string[] Events =
    [
        Event("view", T0 + 60_000, "a", "u1", "shoes"),
        Event("view", T0 + 120_000, "a", "u2", "shoes"),
        Event("view", T0 + 180_000, "a", "u1", "bags"),
        Event("click", T0 + 240_000, "a", "u1", null),
        Event("view", T0 + 300_000, "b", "u1", "shoes"),
        Event("view", T0 + 360_000, "b", "u3", "bags"),
        Event("view", T0 + 420_000, "c", "u2", null),
        Event("purchase", T0 + 480_000, "a", "u1", null, 12.5),
    ];

    private FreshetEngine? _engine;
    private RunningServer? _server;

    /// <summary>The server's address without the trailing slash, as a user would type it.</summary>
    public string Url { get; private set; } = "";

    public async Task InitializeAsync()
    {
        _engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "test.yaml"), new EngineOptions { ShardCount = 2 });
        _server = await FreshetServer.StartAsync(_engine, new ServerOptions { Url = "http://127.0.0.1:0", FrameworkLogging = false });
        Url = _server.BaseAddress.ToString().TrimEnd('/');
        using var client = new HttpClient { BaseAddress = _server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent(string.Concat(Events), Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/x-ndjson");
        using var response = await client.PostAsync("v1/events?wait=true", content);
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"ingest failed: {(int)response.StatusCode} {body}");
        Assert.Contains($"\"accepted\":{Events.Length}", body, StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_engine is not null)
        {
            await _engine.DisposeAsync();
        }
    }

    /// <summary>Runs <c>freshet query ARGS --server URL</c> in process and captures its exit code and both streams.</summary>
    public Task<(int ExitCode, string Output, string Error)> QueryAsync(params string[] args) =>
        RunAsync(["query", .. args, "--server", Url]);

    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter(CultureInfo.InvariantCulture);
        using var error = new StringWriter(CultureInfo.InvariantCulture);
        int exitCode = await FreshetCommand.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    private static string Event(string type, long time, string item, string user, string? category, double? price = null) =>
        "{" + string.Join(", ", new[]
        {
            $"\"type\": \"{type}\"",
            $"\"time\": {time}",
            $"\"item\": \"{item}\"",
            $"\"user\": \"{user}\"",
            category is null ? null : $"\"category\": \"{category}\"",
            price is { } p ? $"\"price\": {p.ToString(CultureInfo.InvariantCulture)}" : null,
        }.Where(p => p is not null)) + "}\n";
}
