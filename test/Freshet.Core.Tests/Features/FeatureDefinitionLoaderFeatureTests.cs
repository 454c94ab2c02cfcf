using static Freshet.Tests.Features.DefinitionText;

namespace Freshet.Tests.Features;

public class FeatureDefinitionLoaderFeatureTests
{
    [Fact]
    public void Parse_FeatureNameWithCapitalsAndDashes_SuggestsAValidName()
    {
        var error = SingleError("  Item-Clicks: { entity: item, events: [click], aggregation: count, windows: [1h] }");

        AssertError(error, 7, "Item-Clicks", "feature name 'Item-Clicks' is not valid", "(try 'item_clicks')");
    }

    [Fact]
    public void Parse_MisspelledKey_ListsKeysForTheAggregationAndSuggestsOne()
    {
        var error = SingleError("  item_clicks: { entity: item, events: [click], aggregation: count, widows: [1h], windows: [1h] }");

        AssertError(error, 7, "item_clicks", "unknown key 'widows' in feature", "expected one of: description, entity, events, filter, aggregation, windows, tiles", "(did you mean 'windows'?)");
    }

    [Fact]
    public void Parse_MisspeltRequiredKey_IsReportedOnceNotAlsoAsMissing()
    {
        var error = SingleError("  item_clicks: { entity: item, events: [click], aggregation: count, widows: [1h] }");

        AssertError(error, 7, "item_clicks", "unknown key 'widows' in feature", "(did you mean 'windows'?)");
    }

    [Fact]
    public void Parse_UnknownAggregation_ListsAggregationsAndSuggestsOne()
    {
        var error = SingleError("  item_price_sd: { entity: item, events: [purchase], aggregation: stdev, field: price, windows: [7d] }");

        AssertError(error, 7, "item_price_sd", "unknown aggregation 'stdev'", "count, sum, mean", "(did you mean 'stddev'?)");
    }

    [Fact]
    public void Parse_MissingAggregation_IsReported()
    {
        var error = SingleError("  item_clicks: { entity: item, events: [click], windows: [1h] }");

        AssertError(error, 7, "item_clicks", "missing 'aggregation'");
    }

    [Fact]
    public void Parse_MissingEntity_ListsDeclaredEntities()
    {
        var error = SingleError("  item_clicks: { events: [click], aggregation: count, windows: [1h] }");

        AssertError(error, 7, "item_clicks", "missing 'entity'", "(declared: user, item, site)");
    }

    [Fact]
    public void Parse_UndeclaredEntity_SuggestsTheClosestOne()
    {
        var error = SingleError("  item_clicks: { entity: items, events: [click], aggregation: count, windows: [1h] }");

        AssertError(error, 7, "item_clicks", "entity 'items' is not declared", "(did you mean 'item'?)");
    }

    [Fact]
    public void Parse_MissingEvents_IsReported()
    {
        var error = SingleError("  item_clicks: { entity: item, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "item_clicks", "missing 'events'");
    }

    [Fact]
    public void Parse_DuplicateEventType_PointsAtTheSecond()
    {
        var error = SingleError("""
              item_clicks:
                entity: item
                events: [click, view, click]
                aggregation: count
                windows: [1h]
            """);

        AssertError(error, 9, "item_clicks", "event type 'click' is listed twice");
        Assert.Equal(27, error.Column);
    }

    [Theory]
    [InlineData("sum", "sum adds up a numeric event field")]
    [InlineData("mean", "mean summarises a numeric event field")]
    [InlineData("distinct", "distinct counts the distinct values")]
    [InlineData("last", "last keeps the latest value(s)")]
    public void Parse_FieldMissing_SaysWhatTheAggregationNeedsItFor(string aggregation, string phrase)
    {
        var error = SingleError($"  x: {{ entity: item, events: [view], aggregation: {aggregation}, windows: [1h] }}");

        AssertError(error, 7, "x", "missing 'field'", phrase);
    }

    [Fact]
    public void Parse_FieldOnCount_SuggestsSum()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count, field: price, windows: [1h] }");

        AssertError(error, 7, "x", "'field' does not apply to count", "use sum");
    }

    [Fact]
    public void Parse_ReservedField_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: distinct, field: type, windows: [1h] }");

        AssertError(error, 7, "x", "field 'type' is a reserved event key", "choose event types with 'events'");
    }

    [Fact]
    public void Parse_LastKWithoutK_IsReported()
    {
        var error = SingleError("  x: { entity: user, events: [view], aggregation: last_k, field: item, windows: [24h] }");

        AssertError(error, 7, "x", "missing 'k'", "from 1 to 1000");
    }

    [Fact]
    public void Parse_KOutOfRange_SaysTheRange()
    {
        var error = SingleError("  x: { entity: user, events: [view], aggregation: last_k, field: item, k: 5000, windows: [24h] }");

        AssertError(error, 7, "x", "'k' must be a whole number from 1 to 1000; found '5000'");
    }

    [Fact]
    public void Parse_CapacityBelowK_IsReported()
    {
        var error = SingleError("  x: { entity: site, events: [view], aggregation: top_k, field: item, k: 20, capacity: 10, windows: [1h] }");

        AssertError(error, 7, "x", "capacity 10 is less than k 20", "max(4k, 64) = 80");
    }

    [Fact]
    public void Parse_CapacityOnLastK_SaysOnlyTopK()
    {
        var error = SingleError("  x: { entity: user, events: [view], aggregation: last_k, field: item, k: 5, capacity: 10, windows: [1h] }");

        AssertError(error, 7, "x", "'capacity' applies only to top_k, not to last_k");
    }

    [Fact]
    public void Parse_DecayedSumWithoutHalfLife_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: decayed_sum, windows: [24h] }");

        AssertError(error, 7, "x", "missing 'half_life'");
    }

    [Fact]
    public void Parse_DecayedSumWithoutField_CountsEvents()
    {
        var set = DefinitionText.Parse("  x: { entity: item, events: [view], aggregation: decayed_sum, half_life: 1h, windows: [24h] }");

        var feature = set.Features.Single(f => f.Name == "x");
        Assert.Null(feature.Field);
        Assert.Equal(3_600_000, feature.HalfLifeMs);
    }

    [Fact]
    public void Parse_MissingWindows_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count }");

        AssertError(error, 7, "x", "missing 'windows'");
    }

    [Fact]
    public void Parse_SameWindowTwiceInDifferentUnits_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count, windows: [24h, 1h, 1d] }");

        AssertError(error, 7, "x", "window 1d is listed twice (the same as 24h)");
    }

    [Fact]
    public void Parse_WindowsOutOfOrder_AreSortedAscending()
    {
        var set = DefinitionText.Parse("  x: { entity: item, events: [view], aggregation: count, windows: [7d, 1h, 24h] }");

        Assert.Equal([3_600_000L, 86_400_000L, 604_800_000L], set.Features.Single(f => f.Name == "x").WindowsMs.ToArray());
    }

    [Fact]
    public void Parse_WindowNotAWholeNumberOfFinestTiles_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count, windows: [90s] }");

        AssertError(error, 7, "x", "window 90s is not a whole number of 1m tiles");
    }

    [Fact]
    public void Parse_WindowLongerThanCoarsestKeep_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count, windows: [60d] }");

        AssertError(error, 7, "x", "window 60d is longer than the 35d", "coarsest tiles are kept");
    }

    [Fact]
    public void Parse_WindowChecksUseTheFeaturesOwnTiles()
    {
        var error = SingleError("""
              x:
                entity: item
                events: [view]
                aggregation: count
                windows: [5m, 3d]
                tiles: [{ resolution: 10s, keep: 2h }, { resolution: 1h, keep: 2d }]
            """);

        AssertError(error, 11, "x", "window 3d is longer than the 2d that this feature's coarsest tiles are kept");
    }

    [Fact]
    public void Parse_InvalidFeatureTiles_NamesTheFeature()
    {
        var error = SingleError("  x: { entity: item, events: [view], aggregation: count, windows: [1h], tiles: [{ resolution: 1m, keep: 1h }, { resolution: 1h, keep: 2d }] }");

        AssertError(error, 7, "x", "tile level 1: keep 1h is too short", "at least 1h10m");
    }

    [Fact]
    public void Parse_FeatureWithoutBody_SaysWhatAFeatureNeeds()
    {
        var error = SingleError("  x:");

        AssertError(error, 7, "x", "a feature is a map with at least entity, events, aggregation and windows");
    }
}
