using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Serving;

/// <summary>Each way a read can be wrong gets its own status, a problem type, and a detail naming what was wrong.</summary>
public sealed class ServingErrorTests : IAsyncLifetime
{
    private TestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await StartAsync();
        await ReadAsync(await _server.PostEventsAsync(Event("view", T0, "a", "u1", "shoes")), 200);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> ProblemAsync(string path, int status, string code)
    {
        using var response = await _server.Client.GetAsync(path);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadAsync(response, status);
        Assert.Equal($"https://freshet.dev/problems/{code}", problem.GetProperty("type").GetString());
        return problem;
    }

    private static string Detail(JsonElement problem) => problem.GetProperty("detail").GetString()!;

    [Fact]
    public async Task UnknownEntity_Is404_ListingTheKnownOnes()
    {
        var problem = await ProblemAsync("v1/vector/items?key=a", 404, "unknown-entity");

        Assert.Contains("'items'", Detail(problem), StringComparison.Ordinal);
        Assert.Equal(["item", "user", "user_category", "site"], problem.GetProperty("known_entities").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task UnknownFeature_Is404_ListingTheEntitysFeatures()
    {
        var problem = await ProblemAsync("v1/vector/item?key=a&features=item_view", 404, "unknown-feature");

        Assert.Contains("'item_view'", Detail(problem), StringComparison.Ordinal);
        var known = problem.GetProperty("known_features").EnumerateArray().Select(e => e.GetString()!).ToArray();
        Assert.Contains("item_views", known);
        Assert.DoesNotContain("user_recent_items", known);
    }

    [Theory]
    [InlineData("v1/series/nope?key=a")]
    [InlineData("v1/profile/nope?key=a")]
    [InlineData("v1/top/nope")]
    [InlineData("v1/features/nope")]
    public async Task UnknownFeature_OnEveryFeatureRoute_Is404(string path)
    {
        var problem = await ProblemAsync(path, 404, "unknown-feature");

        Assert.Contains("item_views", problem.GetProperty("known_features").EnumerateArray().Select(e => e.GetString()), StringComparer.Ordinal);
    }

    [Theory]
    [InlineData("v1/vector/item?key=a&windows=1hour", "1hour")]
    [InlineData("v1/vector/item?key=a&windows=1h,x", "'x'")]
    [InlineData("v1/top/site_top_items?window=-5m", "-5m")]
    [InlineData("v1/series/item_views?key=a&resolution=hourly", "hourly")]
    public async Task BadWindowSyntax_Is400_NamingTheToken(string path, string token)
    {
        var problem = await ProblemAsync(path, 400, "bad-window");

        Assert.Contains(token, Detail(problem), StringComparison.Ordinal);
        Assert.Contains("such as 30s, 5m, 1h", Detail(problem), StringComparison.Ordinal); // says what a window looks like
    }

    [Fact]
    public async Task WindowNotAMultipleOfTheFinestTile_Is400()
    {
        var problem = await ProblemAsync("v1/vector/item?key=a&windows=90s", 400, "bad-window");

        Assert.Contains("window 1m30s is not valid for feature", Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongNumberOfKeyParts_Is400()
    {
        var problem = await ProblemAsync("v1/vector/user_category?key=u1", 400, "bad-key");

        Assert.Contains("category", Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AsOfAfterNow_Is422OutOfRange()
    {
        var problem = await ProblemAsync($"v1/vector/item?key=a&as_of={T0 + 3_600_000}", 422, "out-of-range");

        Assert.Contains("after now", Detail(problem), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v1/vector/item?key=a&as_of=yesterday", "as_of")]
    [InlineData("v1/vector/item?key=a&as_of=1763719200", "as_of")]
    [InlineData("v1/profile/item_views?key=a&kind=weekly", "kind")]
    [InlineData("v1/profile/item_views?key=a&days=0", "days")]
    [InlineData("v1/top/site_top_items?k=500", "k")]
    [InlineData("v1/series/item_views?key=a&from=soon", "from")]
    public async Task BadParameter_Is400_NamingTheParameter(string path, string parameter)
    {
        var problem = await ProblemAsync(path, 400, "bad-parameter");

        Assert.Equal(parameter, problem.GetProperty("parameter").GetString());
        Assert.StartsWith(parameter, Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TopOnAFeatureThatIsNotTopK_Is422_ListingTheTopKFeatures()
    {
        var problem = await ProblemAsync("v1/top/item_views", 422, "not-supported");

        Assert.Equal(["site_top_items"], problem.GetProperty("top_k_features").EnumerateArray().Select(e => e.GetString()!).ToArray());
    }

    [Fact]
    public async Task SeriesOfATrend_Is422NotSupported()
    {
        var problem = await ProblemAsync("v1/series/item_trend?key=a", 422, "not-supported");

        Assert.Contains("trend", Detail(problem), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostVectors_MalformedJson_Is400()
    {
        using var response = await _server.Client.PostAsync("v1/vectors/item", new StringContent("{\"keys\": [\"a\",", Encoding.UTF8, "application/json"));

        var problem = await ReadAsync(response, 400);

        Assert.Equal("https://freshet.dev/problems/malformed-json", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PostVectors_NoKeysOrTooMany_Is400()
    {
        using var none = await _server.Client.PostAsJsonAsync("v1/vectors/item", new { keys = Array.Empty<string>() });
        Assert.Equal("keys", (await ReadAsync(none, 400)).GetProperty("parameter").GetString());

        using var tooMany = await _server.Client.PostAsJsonAsync("v1/vectors/item", new { keys = Enumerable.Range(0, 1001).Select(i => $"k{i}").ToArray() });
        Assert.Contains("1001", Detail(await ReadAsync(tooMany, 400)), StringComparison.Ordinal);

        using var badKey = await _server.Client.PostAsJsonAsync("v1/vectors/item", new { keys = new object[] { "a", new { nested = 1 } } });
        Assert.Contains("keys[1]", Detail(await ReadAsync(badKey, 400)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownRoute_Is404ProblemDocument()
    {
        using var response = await _server.Client.GetAsync("v1/nothing-here");

        Assert.Equal(404, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
