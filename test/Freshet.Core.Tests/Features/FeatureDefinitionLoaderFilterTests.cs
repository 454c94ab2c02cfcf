using Freshet.Features;
using static Freshet.Tests.Features.DefinitionText;

namespace Freshet.Tests.Features;

public class FeatureDefinitionLoaderFilterTests
{
    [Fact]
    public void Parse_Filter_ReadsOperatorsAndTypesLiterals()
    {
        var set = DefinitionText.Parse("""
              x:
                entity: item
                events: [purchase]
                filter:
                  category: c3
                  code: "42"
                  store: 7
                  price: { gt: 0, lte: 1e3 }
                  device: { in: [ios, android] }
                  coupon: { exists: true }
                  country: { not_in: [xx] }
                aggregation: count
                windows: [1h]
            """);

        var filter = set.Features.Single(f => f.Name == "x").Filter;
        Assert.Equal(8, filter.Length);
        Assert.Equal(new FilterCondition("category", FilterOp.Eq, [FilterLiteral.Of("c3")]), filter[0], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("code", FilterOp.Eq, [FilterLiteral.Of("42")]), filter[1], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("store", FilterOp.Eq, [FilterLiteral.Of(7)]), filter[2], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("price", FilterOp.Gt, [FilterLiteral.Of(0)]), filter[3], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("price", FilterOp.Lte, [FilterLiteral.Of(1000)]), filter[4], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("device", FilterOp.In, [FilterLiteral.Of("ios"), FilterLiteral.Of("android")]), filter[5], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("coupon", FilterOp.Exists, []), filter[6], ConditionComparer.Instance);
        Assert.Equal(new FilterCondition("country", FilterOp.NotIn, [FilterLiteral.Of("xx")]), filter[7], ConditionComparer.Instance);
    }

    [Fact]
    public void Parse_ComparisonWithText_SaysItNeedsANumber()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { price: { gt: cheap } }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "filter 'price: { gt: … }' compares numbers and needs a number; found 'cheap'");
    }

    [Fact]
    public void Parse_ComparisonWithQuotedNumber_SaysRemoveTheQuotes()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { price: { gte: \"10\" } }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "needs a number", "remove the quotes");
    }

    [Fact]
    public void Parse_UnknownOperator_SuggestsTheClosestOne()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { device: { notin: [bot] } }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "unknown filter operator 'notin' on 'device'", "(did you mean 'not_in'?)");
    }

    [Fact]
    public void Parse_ListAsFilterValue_SuggestsIn()
    {
        var error = SingleError("""
              x:
                entity: item
                events: [view]
                filter:
                  device: [ios, android]
                aggregation: count
                windows: [1h]
            """);

        AssertError(error, 11, "x", "filter on 'device' is a list", "device: { in: [a, b] }");
    }

    [Fact]
    public void Parse_EmptyInList_IsReported()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { device: { in: [] } }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "needs a non-empty list of values");
    }

    [Fact]
    public void Parse_ExistsFalse_SaysOnlyTrue()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { coupon: { exists: false } }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "takes only true");
    }

    [Fact]
    public void Parse_FilterOnEventType_PointsToEvents()
    {
        var error = SingleError("  x: { entity: item, events: [view], filter: { type: click }, aggregation: count, windows: [1h] }");

        AssertError(error, 7, "x", "filter field 'type' is a reserved event key", "choose event types with 'events'");
    }

    /// <summary>Compares conditions by value: the records hold immutable arrays, which compare by reference.</summary>
    private sealed class ConditionComparer : IEqualityComparer<FilterCondition>
    {
        public static readonly ConditionComparer Instance = new();

        public bool Equals(FilterCondition? x, FilterCondition? y) =>
            x is not null && y is not null && x.Field == y.Field && x.Op == y.Op && x.Values.SequenceEqual(y.Values);

        public int GetHashCode(FilterCondition obj) => HashCode.Combine(obj.Field, obj.Op);
    }
}
