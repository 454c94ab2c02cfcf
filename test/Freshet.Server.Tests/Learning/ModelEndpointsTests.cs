using System.Net.Http.Json;
using Freshet.Learning.Pipeline;
using Freshet.Testing.TestData;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Learning;

/// <summary>
/// Models declared in a models file learn from the events posted to the real server, and answer over HTTP: their
/// live figures, ranked candidates, recommendations and similar items.
/// </summary>
public sealed class ModelEndpointsTests : IAsyncLifetime
{
    private const string Models = ShopModels.WithLiveFeaturesYaml;

    private Dictionary<string, HashSet<string>> _seen = [];
    private TestServer _server = null!;
    private int _posted;

    public async Task InitializeAsync()
    {
        _server = await StartAsync(new ServerOptions { Models = ModelDefinitionLoader.Parse(Models, "models.yaml") });
        // 3,000 views over 50 minutes, over 200 items of each category.
        (var lines, _seen) = ShopStream.Generate(seed: 4, views: 3_000, itemsPerCategory: 200, stepMs: 1_000);
        await ShopStream.PostAndLearnAsync(_server, lines);
        _posted = lines.Count;
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task GetModels_ShowsWhatEachModelLearned()
    {
        var body = await _server.GetJsonAsync("v1/models");

        Assert.Equal(_posted, body.GetProperty("events_learned").GetInt64());
        Assert.Equal(0, body.GetProperty("events_skipped").GetInt64());
        Assert.Equal(0, body.GetProperty("failures").GetInt64());
        var models = body.GetProperty("models").EnumerateArray().ToDictionary(m => m.GetProperty("name").GetString()!);
        var clicks = models["clicks"];
        Assert.Equal("click", clicks.GetProperty("kind").GetString());
        Assert.Equal(3_000, clicks.GetProperty("exposures_scored").GetInt64());
        long final = clicks.GetProperty("labels_final").GetInt64();
        Assert.Equal(final, clicks.GetProperty("quality").GetProperty("examples").GetInt64());
        // The views of the stream's last 10 minutes (at most 600, one a second): their windows are open, so they are not judged yet.
        Assert.InRange(clicks.GetProperty("pending").GetInt64(), 400, 600);
        Assert.Equal(3_000 - clicks.GetProperty("repeated_exposures").GetInt64(), final + clicks.GetProperty("pending").GetInt64());
        Assert.True(clicks.GetProperty("updates").GetInt64() >= final, clicks.ToString());
        var quality = clicks.GetProperty("quality");
        Assert.True(quality.GetProperty("auc").GetDouble() > 0.7, quality.ToString());
        Assert.True(quality.GetProperty("log_loss").GetDouble() < clicks.GetProperty("constant_rate").GetProperty("log_loss").GetDouble(), clicks.ToString());
        var forYou = models["for_you"];
        Assert.Equal("recommender", forYou.GetProperty("kind").GetString());
        Assert.Equal(60, forYou.GetProperty("users").GetInt64());
        Assert.InRange(forYou.GetProperty("items").GetInt64(), 390, 400); // 400 items, drawn at random.

        // Prequential top 10 against most popular, over the same interactions: every view of an item new to its user
        // (a click follows its user's view of the item, so it is a repeat and not scored).
        var ranking = forYou.GetProperty("ranking");
        var popular = forYou.GetProperty("most_popular");
        long scored = ranking.GetProperty("interactions").GetInt64();
        Assert.InRange(scored, 2_000, 3_000);
        Assert.Equal(scored, popular.GetProperty("interactions").GetInt64());
        Assert.Equal(10, ranking.GetProperty("k").GetInt32());
        Assert.Equal((double)ranking.GetProperty("hits").GetInt64() / scored, ranking.GetProperty("hit_rate").GetDouble(), 12);
        Assert.True(ranking.GetProperty("hit_rate").GetDouble() > popular.GetProperty("hit_rate").GetDouble(), forYou.ToString());
        Assert.True(ranking.GetProperty("ndcg").GetDouble() > popular.GetProperty("ndcg").GetDouble(), forYou.ToString());
    }

    [Fact]
    public async Task PostScore_RanksTheCandidatesMostLikelyFirst()
    {
        var request = new
        {
            model = "clicks",
            context = new Dictionary<string, string> { ["user"] = "u3" },
            candidates = new[]
            {
                new Dictionary<string, string> { ["item"] = "b4", ["category"] = "bags" },
                new Dictionary<string, string> { ["item"] = "s7", ["category"] = "shoes" },
            },
        };
        using var response = await _server.Client.PostAsJsonAsync("v1/score", request);
        var body = await ReadAsync(response, 200);

        var ranked = body.GetProperty("ranked").EnumerateArray().ToList();
        Assert.Equal([1, 0], ranked.Select(r => r.GetProperty("index").GetInt32()));
        Assert.Equal("s7", ranked[0].GetProperty("fields").GetProperty("item").GetString());
        double shoes = ranked[0].GetProperty("probability").GetDouble(), bags = ranked[1].GetProperty("probability").GetDouble();
        Assert.InRange(shoes, 0.1, 0.7);
        Assert.True(shoes > 3 * bags, $"shoes {shoes}, bags {bags}");
    }

    [Fact]
    public async Task GetRecommend_LeavesOutWhatTheUserHasSeenAndPrefersTheirTaste()
    {
        var body = await _server.GetJsonAsync("v1/recommend?model=for_you&user=u3&k=5");

        var items = body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToList();
        Assert.Equal(5, items.Count);
        Assert.DoesNotContain(items, _seen["u3"].Contains);
        Assert.True(items.Count(i => i.StartsWith('s')) >= 3, $"a shoe viewer got {string.Join(", ", items)}");
    }

    [Fact]
    public async Task GetSimilar_FindsItemsOfTheSameAudience()
    {
        var body = await _server.GetJsonAsync("v1/similar?model=for_you&item=s1&k=5");

        var items = body.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToList();
        Assert.Equal(5, items.Count);
        Assert.DoesNotContain("s1", items);
        Assert.True(items.Count(i => i.StartsWith('s')) >= 4, $"items like s1: {string.Join(", ", items)}");
    }

    [Fact]
    public async Task LiveFeatures_ReadForAnExposure_LeaveOutWhatCameAfterIt()
    {
        // s1's clicks are in the engine already; read as of a view at T0 + 30 min, the features count only earlier events.
        var live = new ReaderLiveFeatures(_server.Engine.Reader);
        var features = new LiveFeatureGroup([new("item", "item", "item_clicks", 3_600_000), new("item", "item", "item_views", 3_600_000)]);
        var atView = new double[2];
        var now = new double[2];
        live.Read(features, "s1", T0 + (30 * 60_000), atView);
        live.Read(features, "s1", long.MaxValue, now);

        var vector = await _server.GetJsonAsync($"v1/vector/item?key=s1&features=item_views,item_clicks&as_of={T0 + (29 * 60_000)}");
        Assert.Equal(vector.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble(), atView[1]);
        Assert.Equal(vector.GetProperty("features").GetProperty("item_clicks").GetProperty("1h").GetProperty("value").GetDouble(), atView[0]);
        Assert.True(now[1] > atView[1], $"views as of now {now[1]}, as of the view {atView[1]}");
    }

    [Fact]
    public async Task Errors_NameTheModelsAndParametersThatExist()
    {
        using var unknown = await _server.Client.PostAsJsonAsync("v1/score", new { model = "ctr", candidates = new[] { new Dictionary<string, string> { ["item"] = "s1" } } });
        var problem = await ReadAsync(unknown, 404);
        Assert.EndsWith("/unknown-model", problem.GetProperty("type").GetString());
        Assert.Contains("click models: clicks", problem.GetProperty("detail").GetString());

        using var empty = await _server.Client.PostAsJsonAsync("v1/score", new { model = "clicks", candidates = Array.Empty<object>() });
        Assert.Equal("candidates", (await ReadAsync(empty, 400)).GetProperty("parameter").GetString());
        Assert.Equal("user", (await _server.GetJsonAsync("v1/recommend?model=for_you", 400)).GetProperty("parameter").GetString());
        Assert.EndsWith("/unknown-item", (await _server.GetJsonAsync("v1/similar?model=for_you&item=zz", 404)).GetProperty("type").GetString());
        Assert.Contains("for_you", (await _server.GetJsonAsync("v1/recommend?model=nope&user=u1", 404)).GetProperty("detail").GetString());
    }
}
