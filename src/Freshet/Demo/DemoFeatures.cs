using Freshet.Features;
using Freshet.Synthetic;

namespace Freshet.Cli.Demo;

/// <summary>
/// The features the demo shows, found by shape rather than by name so that any definitions file over the synthetic
/// stream's fields works: a global top-k of items (trending), the item entity's view count, trend and ratio (CTR),
/// and the user entity. Whatever a file lacks, the demo leaves out.
/// </summary>
internal sealed record DemoFeatures(
    CompiledFeature? TopItems,
    long TopItemsWindowMs,
    string? ItemEntity,
    CompiledFeature? Views,
    CompiledFeature? Trend,
    CompiledFeature? Ctr,
    long CtrWindowMs,
    string? UserEntity)
{
    public static DemoFeatures Discover(FeatureCatalog catalog)
    {
        var features = catalog.Features;
        var topItems = features.FirstOrDefault(f => f.Definition.Aggregation == AggregationKind.TopK
                && f.Entity.Definition.KeyFields.IsEmpty
                && string.Equals(f.Definition.Field, Vocabulary.ItemField, StringComparison.Ordinal));
        var itemEntity = catalog.Entities.FirstOrDefault(e => e.Definition.KeyFields is [var field]
            && string.Equals(field, Vocabulary.ItemField, StringComparison.Ordinal));
        var itemFeatures = features.Where(f => f.Entity == itemEntity).ToList();
        var views = itemFeatures.FirstOrDefault(f => f.Definition.Aggregation == AggregationKind.Count
                && f.Definition.EventTypes.Contains(Vocabulary.View))
            ?? itemFeatures.FirstOrDefault(f => f.Definition.Aggregation == AggregationKind.Count);
        var trend = itemFeatures.FirstOrDefault(f => f.Definition.Aggregation == AggregationKind.Trend);
        var ctr = itemFeatures.FirstOrDefault(f => f.Definition.Aggregation == AggregationKind.Ratio);
        var userEntity = catalog.Entities.FirstOrDefault(e => e.Definition.KeyFields is [var field]
            && string.Equals(field, Vocabulary.UserField, StringComparison.Ordinal));

        // The trending list uses the top-k's shortest window (the freshest); CTR its longest (the most evidence).
        return new DemoFeatures(
            topItems,
            topItems?.Definition.WindowsMs.FirstOrDefault() ?? 0,
            itemEntity?.Name,
            views,
            trend,
            ctr,
            ctr?.Definition.WindowsMs.LastOrDefault() ?? 0,
            userEntity?.Name);
    }
}
