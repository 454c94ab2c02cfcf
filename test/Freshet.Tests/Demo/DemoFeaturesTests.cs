using Freshet.Cli.Demo;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Cli.Tests;

/// <summary>The demo finds what to show in the shipped sample by the features' shape, not their names.</summary>
public sealed class DemoFeaturesTests
{
    [Fact]
    public void Discover_SampleFeatures_FindsEveryPanelsFeatures()
    {
        var set = FeatureDefinitionLoader.Load(FeaturesFile.Resolve(null));
        var features = DemoFeatures.Discover(FeatureCatalog.Compile(set, new StringInterner(), new EntityKeySpace()));

        Assert.Equal("site_top_items", features.TopItems?.Name);
        Assert.Equal(Time.Duration.Hour, features.TopItemsWindowMs);
        Assert.Equal("item", features.ItemEntity);
        Assert.Equal("item_views", features.Views?.Name);
        Assert.Equal("item_views_trend", features.Trend?.Name);
        Assert.Equal("item_ctr", features.Ctr?.Name);
        Assert.Equal(Time.Duration.Day, features.CtrWindowMs);
        Assert.Equal("user", features.UserEntity);
    }

    [Fact]
    public void Discover_FeaturesWithoutItemsOrUsers_LeavesThosePanelsOut()
    {
        var set = FeatureDefinitionLoader.Parse("""
            entities:
              category: category
            features:
              category_views: { entity: category, events: [view], aggregation: count, windows: [1h] }
            """, "minimal.yaml");
        var features = DemoFeatures.Discover(FeatureCatalog.Compile(set, new StringInterner(), new EntityKeySpace()));

        Assert.Null(features.TopItems);
        Assert.Null(features.ItemEntity);
        Assert.Null(features.UserEntity);
    }
}
