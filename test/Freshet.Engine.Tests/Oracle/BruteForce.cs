using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Tests.Oracle;

/// <summary>Recomputes feature values from raw accepted events, with the engine's documented semantics.</summary>
internal sealed class BruteForce(IReadOnlyList<RawEvent> accepted, StringInterner strings)
{
    public IEnumerable<RawEvent> Matching(FeatureDefinition f, IReadOnlyList<string> key, long from, long to) =>
        accepted.Where(e => e.TimeMs >= from && e.TimeMs < to
            && f.EventTypes.Contains(e.Type)
            && KeyMatches(f.Entity, e, key)
            && FilterMatches(f, e)
            && FieldOk(f, e));

    public double? Number(FeatureDefinition f, IReadOnlyList<string> key, long from, long to, long at)
    {
        var events = Matching(f, key, from, to).ToList();
        var prices = f.Field == "price" ? events.Select(e => e.Price!.Value).ToList() : [];
        return f.Aggregation switch
        {
            AggregationKind.Count => events.Count,
            AggregationKind.Sum => prices.Sum(),
            AggregationKind.Mean => prices.Count == 0 ? null : prices.Average(),
            AggregationKind.Min => prices.Count == 0 ? null : prices.Min(),
            AggregationKind.Max => prices.Count == 0 ? null : prices.Max(),
            AggregationKind.Variance => prices.Count == 0 ? null : Variance(prices),
            AggregationKind.StdDev => prices.Count == 0 ? null : Math.Sqrt(Variance(prices)),
            AggregationKind.DecayedSum => events.Sum(e => Math.Pow(2, -(double)(at - e.TimeMs) / f.HalfLifeMs)),
            AggregationKind.Distinct => events.Select(e => e.User).Distinct().Count(),
            _ => throw new ArgumentException(f.Aggregation.ToString()),
        };
    }

    /// <summary>Latest values newest first, ties broken like the engine (by interned id, larger first).</summary>
    public List<string> Latest(FeatureDefinition f, IReadOnlyList<string> key, long from, long to, int k) =>
        Matching(f, key, from, to)
            .OrderByDescending(e => e.TimeMs)
            .ThenByDescending(e => strings.TryGet(e.User, out int id) ? id : 0)
            .Take(k)
            .Select(e => e.User)
            .ToList();

    public Dictionary<string, int> ItemCounts(FeatureDefinition f, long from, long to) =>
        Matching(f, [], from, to).GroupBy(e => e.Item).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    private static double Variance(List<double> xs)
    {
        double mean = xs.Average();
        return xs.Sum(x => (x - mean) * (x - mean)) / xs.Count;
    }

    private static bool KeyMatches(string entity, RawEvent e, IReadOnlyList<string> key) => entity switch
    {
        "item" => e.Item == key[0],
        "user_category" => e.User == key[0] && e.Category == key[1],
        "site" => true,
        _ => throw new ArgumentException(entity),
    };

    private static bool FilterMatches(FeatureDefinition f, RawEvent e) =>
        f.Filter.IsEmpty || (e.Price is > 50 && !e.PriceAsText && e.Category is "c1" or "c2");

    private static bool FieldOk(FeatureDefinition f, RawEvent e) => f.Field switch
    {
        null => true,
        "price" => e.Price is not null && !e.PriceAsText,
        _ => true,
    };
}
