using Freshet.Cli.Demo;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Cli.Tests;

/// <summary>The curl commands the demo prints: which ones, with which keys, quoted so a shell passes the URL through whole.</summary>
public sealed class DemoExamplesTests
{
    private static readonly Uri BaseAddress = new("http://127.0.0.1:7700/");

    [Fact]
    public void Build_SampleFeatures_AsksAboutTheKeysWithTheSamplesFeatures()
    {
        var examples = DemoExamples.Build(BaseAddress, SampleFeatures(), new DemoKeys("i42", "u7"));

        Assert.Equal(
            [
                "curl -s 'http://127.0.0.1:7700/v1/features'",
                "curl -s 'http://127.0.0.1:7700/v1/top/site_top_items?window=1h&k=10&with=item_ctr,item_views_trend&order_by=item_views_trend'",
                "curl -s 'http://127.0.0.1:7700/v1/vector/item?key=i42&features=item_views,item_ctr,item_views_trend'",
                "curl -s 'http://127.0.0.1:7700/v1/vector/user?key=u7'",
                "curl -s 'http://127.0.0.1:7700/v1/series/item_views?key=i42&resolution=1h'",
                "curl -s 'http://127.0.0.1:7700/v1/profile/item_views?key=i42&kind=hour_of_day'",
            ],
            examples.Select(e => e.Command));
        Assert.All(examples, e => Assert.False(string.IsNullOrWhiteSpace(e.Description)));
    }

    [Fact]
    public void Build_WithModels_AddsTheirFiguresAndTheUsersRecommendations()
    {
        var models = Freshet.Learning.Pipeline.ModelDefinitionLoader.Load(Path.Combine(AppContext.BaseDirectory, "samples", "models.yaml"));

        var examples = DemoExamples.Build(BaseAddress, SampleFeatures(), new DemoKeys("i42", "u7"), models);

        Assert.Equal(
            ["curl -s 'http://127.0.0.1:7700/v1/models'", "curl -s 'http://127.0.0.1:7700/v1/recommend?model=for_you&user=u7&k=5'"],
            examples.TakeLast(2).Select(e => e.Command));
    }

    [Fact]
    public void Build_NoKeysYet_LeavesOutTheExamplesThatNeedThem()
    {
        var examples = DemoExamples.Build(BaseAddress, SampleFeatures(), new DemoKeys(null, null));

        Assert.Equal(["/v1/features", "/v1/top/site_top_items"], examples.Select(e => new Uri(e.Command.Split('\'')[1]).AbsolutePath));
    }

    [Fact]
    public void Build_ServerOnEveryInterface_AsksOnLoopback()
    {
        var examples = DemoExamples.Build(new Uri("http://0.0.0.0:7701/"), SampleFeatures(), new DemoKeys("i42", "u7"));

        Assert.All(examples, e => Assert.StartsWith("curl -s 'http://127.0.0.1:7701/v1/", e.Command, StringComparison.Ordinal));
    }

    [Fact]
    public void IsComplete_DefinitionsWithoutUsers_NeedsOnlyAnItem()
    {
        var set = FeatureDefinitionLoader.Parse("""
            entities:
              item: item
              site: []
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
              site_top_items: { entity: site, events: [view], aggregation: top_k, field: item, k: 5, windows: [1h] }
            """, "items.yaml");
        var features = DemoFeatures.Discover(FeatureCatalog.Compile(set, new StringInterner(), new EntityKeySpace()));

        Assert.True(DemoExamples.IsComplete(new DemoKeys("i1", null), features));
        Assert.False(DemoExamples.IsComplete(new DemoKeys(null, null), features));
    }

    [Theory]
    [InlineData("v1/vector/item?key=i1&features=a,b")]
    [InlineData("v1/vector/item?key=it's&features=a")]
    [InlineData("v1/vector/user_category?key=u1&key=shoes&windows=1h")]
    public async Task Curl_UrlWithShellCharacters_ReachesTheCommandWhole(string pathAndQuery)
    {
        string command = DemoExamples.Curl(BaseAddress, pathAndQuery);
        Assert.StartsWith("curl -s '", command, StringComparison.Ordinal);

        // The shell that runs the pasted command hands printf the same single argument curl would get.
        var (exitCode, output, error) = await ChildProcess.RunShellAsync("printf '%s' " + command["curl -s ".Length..], TimeSpan.FromSeconds(10));

        Assert.True(exitCode == 0, error);
        Assert.Equal(new Uri(BaseAddress, pathAndQuery).AbsoluteUri, output);
    }

    private static DemoFeatures SampleFeatures()
    {
        var set = FeatureDefinitionLoader.Load(FeaturesFile.Resolve(null));
        return DemoFeatures.Discover(FeatureCatalog.Compile(set, new StringInterner(), new EntityKeySpace()));
    }
}
