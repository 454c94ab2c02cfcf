using Freshet.Features;
using static Freshet.Tests.Features.DefinitionText;

namespace Freshet.Tests.Features;

public class FeatureDefinitionLoaderDerivedTests
{
    [Fact]
    public void Parse_RatioNamingFeaturesDeclaredLater_Resolves()
    {
        var set = DefinitionText.Parse("""
              item_ctr: { entity: item, aggregation: ratio, numerator: item_clicks, denominator: item_views, prior: { alpha: 1, beta: 20 }, windows: [24h, 1h] }
              item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 24h] }
            """);

        var ctr = set.Features.Single(f => f.Name == "item_ctr");
        Assert.Equal(AggregationKind.Ratio, ctr.Aggregation);
        Assert.True(ctr.IsDerived);
        Assert.Empty(ctr.EventTypes);
        Assert.Equal([3_600_000L, 86_400_000L], ctr.WindowsMs.ToArray());
        Assert.Equal((1.0, 20.0), (ctr.PriorAlpha, ctr.PriorBeta));
    }

    [Fact]
    public void Parse_RatioWindowMissingFromDenominator_ListsTheDenominatorsWindows()
    {
        var error = SingleError("""
              item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 24h, 30d] }
              item_ctr:
                entity: item
                aggregation: ratio
                numerator: item_clicks
                denominator: item_views
                windows: [1h, 30d]
            """);

        AssertError(error, 13, "item_ctr", "window 30d is not a window of denominator 'item_views' (it has 1h, 24h, 7d)");
    }

    [Fact]
    public void Parse_RatioNamingUndeclaredFeature_SuggestsTheClosestOne()
    {
        var error = SingleError("  item_ctr: { entity: item, aggregation: ratio, numerator: item_veiws, denominator: item_views, windows: [1h] }");

        AssertError(error, 7, "item_ctr", "numerator 'item_veiws' is not a declared feature", "(did you mean 'item_views'?)");
    }

    [Fact]
    public void Parse_RatioOverDistinctFeature_SaysCountOrSum()
    {
        var error = SingleError("""
              viewers: { entity: item, events: [view], aggregation: distinct, field: user, windows: [1h] }
              x: { entity: item, aggregation: ratio, numerator: viewers, denominator: item_views, windows: [1h] }
            """);

        AssertError(error, 8, "x", "numerator 'viewers' is a distinct feature", "must be a count or sum feature");
    }

    [Fact]
    public void Parse_RatioAcrossEntities_SaysSameEntity()
    {
        var error = SingleError("""
              user_views: { entity: user, events: [view], aggregation: count, windows: [1h] }
              x: { entity: item, aggregation: ratio, numerator: user_views, denominator: item_views, windows: [1h] }
            """);

        AssertError(error, 8, "x", "numerator 'user_views' is keyed by entity 'user' but this feature is keyed by 'item'");
    }

    [Fact]
    public void Parse_RatioWithEvents_SaysDerivedFeaturesReadFeatures()
    {
        var error = SingleError("  x: { entity: item, events: [click], aggregation: ratio, numerator: item_views, denominator: item_views, windows: [1h] }");

        AssertError(error, 7, "x", "'events' does not apply to ratio", "computed from other features");
    }

    [Fact]
    public void Parse_RatioWithoutDenominator_IsReported()
    {
        var error = SingleError("  x: { entity: item, aggregation: ratio, numerator: item_views, windows: [1h] }");

        AssertError(error, 7, "x", "missing 'denominator'");
    }

    [Fact]
    public void Parse_NegativePrior_IsReported()
    {
        var error = SingleError("  x: { entity: item, aggregation: ratio, numerator: item_views, denominator: item_views, prior: { alpha: -1, beta: 2 }, windows: [1h] }");

        AssertError(error, 7, "x", "prior alpha must be a number of 0 or more; found '-1'");
    }

    [Fact]
    public void Parse_TrendShortNotShorterThanLong_IsReported()
    {
        var error = SingleError("  x: { entity: item, aggregation: trend, source: item_views, short: 24h, long: 1h }");

        AssertError(error, 7, "x", "short window 24h must be shorter than long window 1h");
    }

    [Fact]
    public void Parse_TrendWindowNotOfSource_ListsTheSourcesWindows()
    {
        var error = SingleError("""
              x:
                entity: item
                aggregation: trend
                source: item_views
                short: 2h
                long: 24h
            """);

        AssertError(error, 11, "x", "short window 2h is not a window of source 'item_views' (it has 1h, 24h, 7d)");
    }

    [Fact]
    public void Parse_TrendWithWindows_SaysShortAndLong()
    {
        var error = SingleError("  x: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h, windows: [1h] }");

        AssertError(error, 7, "x", "'windows' does not apply to trend", "'short' and 'long'");
    }

    [Fact]
    public void Parse_TrendWithoutSource_IsReported()
    {
        var error = SingleError("  x: { entity: item, aggregation: trend, short: 1h, long: 24h }");

        AssertError(error, 7, "x", "missing 'source'");
    }

    [Fact]
    public void Parse_TrendOverAnotherTrend_SaysCountOrSum()
    {
        var errors = Errors("""
              a: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h }
              b: { entity: item, aggregation: trend, source: a, short: 1h, long: 24h }
            """);

        AssertError(Assert.Single(errors), 8, "b", "source 'a' is a trend feature", "count or sum");
    }

    [Fact]
    public void Parse_NegativeSmoothing_IsReported()
    {
        var error = SingleError("  x: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h, smoothing: -0.5 }");

        AssertError(error, 7, "x", "'smoothing' must be a number of 0 or more");
    }
}
