using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Serving;

/// <summary>Every read endpoint against a small stream whose answers are known exactly.</summary>
public sealed class ServingEndpointsTests : IAsyncLifetime
{
    private const long Minute = 60_000;
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await StartAsync();
        var body = new StringBuilder();
        // Item a: 4 views (3 by u1 in shoes, 1 by u2), 1 click, 2 purchases; item b: 2 views; item c: 1 view.
        body.Append(Event("view", T0, "a", "u1", "shoes"));
        body.Append(Event("view", T0 + Minute, "a", "u1", "shoes"));
        body.Append(Event("view", T0 + (2 * Minute), "b", "u1", "bags"));
        body.Append(Event("view", T0 + (3 * Minute), "a", "u1", "shoes"));
        body.Append(Event("view", T0 + (4 * Minute), "a", "u2", "shoes"));
        body.Append(Event("view", T0 + (5 * Minute), "b", "u2", "bags"));
        body.Append(Event("view", T0 + (6 * Minute), "c", "u2", "hats"));
        body.Append(Event("click", T0 + (7 * Minute), "a", "u1", "shoes"));
        body.Append(Event("purchase", T0 + (8 * Minute), "a", "u1", "shoes", price: 10.5));
        body.Append(Event("purchase", T0 + (9 * Minute), "a", "u2", "shoes", price: 20));
        await ReadAsync(await _server.PostEventsAsync(body.ToString()), 200);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static JsonElement Reading(JsonElement vector, string feature, string window) =>
        vector.GetProperty("features").GetProperty(feature).GetProperty(window);

    [Fact]
    public async Task GetVector_AllFeatures_ReturnsExactValuesAndIntervals()
    {
        var vector = await _server.GetJsonAsync("v1/vector/item?key=a");

        Assert.Equal("item", vector.GetProperty("entity").GetString());
        Assert.Equal("a", vector.GetProperty("key")[0].GetString());
        Assert.True(vector.GetProperty("known_key").GetBoolean());
        Assert.Equal(T0 + (9 * Minute), vector.GetProperty("at").GetInt64());
        Assert.Equal(4, Reading(vector, "item_views", "1h").GetProperty("value").GetDouble());
        Assert.Equal(4, Reading(vector, "item_views", "1d").GetProperty("value").GetDouble());
        Assert.Equal(1, Reading(vector, "item_clicks", "1h").GetProperty("value").GetDouble());
        Assert.Equal(30.5, Reading(vector, "item_revenue", "1d").GetProperty("value").GetDouble());
        Assert.Equal((1 + 1) / (4 + 1 + 9.0), Reading(vector, "item_ctr", "1h").GetProperty("value").GetDouble(), 12);
        Assert.True(vector.GetProperty("features").GetProperty("item_trend").GetProperty("1h/1d").GetProperty("value").GetDouble() > 1);
        // The 1h window at 10:09 with 1-minute tiles: [09:09, 10:10).
        Assert.Equal(T0 + (9 * Minute) - 3_600_000, Reading(vector, "item_views", "1h").GetProperty("from").GetInt64());
        Assert.Equal(T0 + (10 * Minute), Reading(vector, "item_views", "1h").GetProperty("to").GetInt64());
    }

    [Fact]
    public async Task GetVector_NamedFeaturesWindowsAndAsOf_ReadsThePast()
    {
        var vector = await _server.GetJsonAsync($"v1/vector/item?key=a&features=item_views,item_clicks&windows=5m,30m&as_of={T0 + (2 * Minute)}");

        Assert.Equal(["item_views", "item_clicks"], vector.GetProperty("features").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(2, Reading(vector, "item_views", "5m").GetProperty("value").GetDouble());
        Assert.Equal(0, Reading(vector, "item_clicks", "30m").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task GetVector_IsoAsOf_IsTheSameAsEpochMilliseconds()
    {
        var iso = await _server.GetJsonAsync("v1/vector/item?key=a&features=item_views&windows=5m&as_of=2025-11-21T10:02:00Z");

        Assert.Equal(T0 + (2 * Minute), iso.GetProperty("at").GetInt64());
        Assert.Equal(2, Reading(iso, "item_views", "5m").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task GetVector_CompositeKey_TakesOnePartPerKeyParameter()
    {
        var vector = await _server.GetJsonAsync("v1/vector/user_category?key=u1&key=shoes");

        Assert.Equal(["u1", "shoes"], vector.GetProperty("key").EnumerateArray().Select(k => k.GetString()!).ToArray());
        Assert.Equal(3, Reading(vector, "user_category_views", "1d").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task GetVector_LastK_ReturnsItemsNewestFirstWithTimes()
    {
        var vector = await _server.GetJsonAsync("v1/vector/user?key=u2");

        var items = Reading(vector, "user_recent_items", "1d").GetProperty("value").EnumerateArray().ToArray();
        Assert.Equal(["c", "b", "a"], items.Select(i => i.GetProperty("item").GetString()!).ToArray());
        Assert.Equal(T0 + (6 * Minute), items[0].GetProperty("time").GetInt64());
    }

    [Fact]
    public async Task GetVector_UnknownKey_AnswersLikeAKeyWithNoEvents()
    {
        var vector = await _server.GetJsonAsync("v1/vector/item?key=nobody&features=item_views,item_revenue");

        Assert.False(vector.GetProperty("known_key").GetBoolean());
        Assert.Equal(0, Reading(vector, "item_views", "1h").GetProperty("value").GetDouble());
    }

    [Fact]
    public async Task PostVectors_ManyKeys_ReturnsOneVectorPerKeyInOrder_AtOneTime()
    {
        using var response = await _server.Client.PostAsJsonAsync("v1/vectors/item",
            new { keys = new object[] { "b", "a", 42 }, features = new[] { "item_views" }, windows = new[] { "1h" } });
        var batch = await ReadAsync(response, 200);

        var vectors = batch.GetProperty("vectors").EnumerateArray().ToArray();
        Assert.Equal(["b", "a", "42"], vectors.Select(v => v.GetProperty("key")[0].GetString()!).ToArray());
        Assert.Equal([2.0, 4.0, 0.0], vectors.Select(v => Reading(v, "item_views", "1h").GetProperty("value").GetDouble()).ToArray());
        Assert.All(vectors, v => Assert.Equal(batch.GetProperty("at").GetInt64(), v.GetProperty("at").GetInt64()));
    }

    [Fact]
    public async Task PostVectors_CompositeKeysAsArrays_AreRead()
    {
        using var response = await _server.Client.PostAsJsonAsync("v1/vectors/user_category",
            new { keys = new object[] { new[] { "u1", "shoes" }, new[] { "u2", "bags" } } });
        var batch = await ReadAsync(response, 200);

        var counts = batch.GetProperty("vectors").EnumerateArray().Select(v => Reading(v, "user_category_views", "1d").GetProperty("value").GetDouble());
        Assert.Equal([3.0, 1.0], counts.ToArray());
    }

    [Fact]
    public async Task GetSeries_MinuteBuckets_MatchTheEvents()
    {
        var series = await _server.GetJsonAsync($"v1/series/item_views?key=a&resolution=1m&from={T0}&to={T0 + (5 * Minute)}");

        Assert.Equal("1m", series.GetProperty("resolution").GetString());
        var points = series.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal([T0, T0 + Minute, T0 + (2 * Minute), T0 + (3 * Minute), T0 + (4 * Minute)], points.Select(p => p.GetProperty("start").GetInt64()).ToArray());
        Assert.Equal([1.0, 1.0, 0.0, 1.0, 1.0], points.Select(p => p.GetProperty("value").GetDouble()).ToArray());
    }

    [Fact]
    public async Task GetSeries_Default_IsHourlyOverTheLastWeek()
    {
        var series = await _server.GetJsonAsync("v1/series/item_views?key=a");

        var points = series.GetProperty("points").EnumerateArray().ToArray();
        Assert.Equal(7 * 24, points.Length);
        Assert.Equal(4, points.Sum(p => p.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task GetProfile_HourOfDay_PutsEveryViewAtTenUtc()
    {
        var profile = await _server.GetJsonAsync("v1/profile/item_views?key=a&kind=hour_of_day&days=1");

        var slots = profile.GetProperty("slots").EnumerateArray().ToArray();
        Assert.Equal(24, slots.Length);
        Assert.Equal("10", slots[10].GetProperty("slot").GetString());
        Assert.Equal(4, slots[10].GetProperty("value").GetDouble());
        Assert.Equal(4, slots.Sum(s => s.GetProperty("value").GetDouble()));
    }

    [Fact]
    public async Task GetProfile_DayOfWeek_UsesWeekdayNames()
    {
        var profile = await _server.GetJsonAsync("v1/profile/item_views?key=a&kind=day_of_week&days=7");

        var slots = profile.GetProperty("slots").EnumerateArray().ToArray();
        Assert.Equal("mon", slots[0].GetProperty("slot").GetString());
        Assert.Equal(4, slots[4].GetProperty("value").GetDouble()); // 2025-11-21 was a Friday.
    }

    [Fact]
    public async Task GetTop_GlobalTopK_IsHeaviestFirst_WithItemFeatures_AndReordersByOne()
    {
        var top = await _server.GetJsonAsync("v1/top/site_top_items?window=1h&k=3&with=item_clicks,item_views");

        var items = top.GetProperty("items").EnumerateArray().ToArray();
        Assert.Equal(["a", "b", "c"], items.Select(i => i.GetProperty("item").GetString()!).ToArray());
        Assert.Equal([4.0, 2.0, 1.0], items.Select(i => i.GetProperty("value").GetDouble()).ToArray());
        Assert.Equal(1, items[0].GetProperty("features").GetProperty("item_clicks").GetProperty("1h").GetProperty("value").GetDouble());

        var byClicks = await _server.GetJsonAsync("v1/top/site_top_items?window=1h&k=2&order_by=item_clicks");
        Assert.Equal("item_clicks", byClicks.GetProperty("order_by").GetString());
        Assert.Equal(["a", "b"], byClicks.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToArray());
    }

    [Fact]
    public async Task GetFeatures_ListsEveryFeatureAsDeclared_WithVersions()
    {
        var catalog = await _server.GetJsonAsync("v1/features");

        Assert.Equal("event_time", catalog.GetProperty("clock").GetString());
        Assert.Equal(1, catalog.GetProperty("catalog_version").GetInt64());
        var features = catalog.GetProperty("features").EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!);
        Assert.Equal(8, features.Count);
        Assert.Equal("count", features["item_views"].GetProperty("aggregation").GetString());
        Assert.Equal("last_k", features["user_recent_items"].GetProperty("aggregation").GetString()); // as written in YAML
        Assert.Equal("top_k", features["site_top_items"].GetProperty("aggregation").GetString());
        Assert.Equal(["1h", "1d"], features["item_views"].GetProperty("windows").EnumerateArray().Select(w => w.GetString()!).ToArray());
        Assert.Equal("item_clicks", features["item_ctr"].GetProperty("numerator").GetString());
        Assert.Equal(9, features["item_ctr"].GetProperty("prior").GetProperty("beta").GetDouble());
        Assert.False(string.IsNullOrEmpty(features["item_views"].GetProperty("version").GetString()));
        Assert.Equal(["user", "category"], catalog.GetProperty("entities").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == "user_category").GetProperty("key").EnumerateArray().Select(k => k.GetString()!).ToArray());

        var one = await _server.GetJsonAsync("v1/features/site_top_items");
        Assert.Equal(5, one.GetProperty("k").GetInt32());
        Assert.Equal("item", one.GetProperty("field").GetString());
    }

    [Fact]
    public async Task HealthReadyStatsAndOpenApi_Answer()
    {
        Assert.Equal("ok", (await _server.GetJsonAsync("healthz")).GetProperty("status").GetString());
        Assert.Equal("ready", (await _server.GetJsonAsync("readyz")).GetProperty("status").GetString());
        var stats = await _server.GetJsonAsync("v1/stats");
        Assert.Equal(10, stats.GetProperty("accepted").GetInt64());
        Assert.Equal(2, stats.GetProperty("shards").GetArrayLength());

        var openApi = await _server.GetJsonAsync("openapi/v1.json");
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "/v1/events", "/v1/vector/{entity}", "/v1/vectors/{entity}", "/v1/series/{feature}", "/v1/profile/{feature}", "/v1/top/{feature}", "/v1/features", "/healthz", "/readyz" }, paths);
        Assert.True(openApi.GetProperty("paths").GetProperty("/v1/events").GetProperty("post").TryGetProperty("requestBody", out _));
        Assert.True(openApi.GetProperty("paths").GetProperty("/v1/score").GetProperty("post").TryGetProperty("requestBody", out _));
    }
}
