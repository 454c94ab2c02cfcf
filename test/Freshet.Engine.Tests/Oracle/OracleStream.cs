using System.Collections.Immutable;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Engine.Tests.Oracle;

/// <summary>A raw test event, kept beside the engine so answers can be recomputed by brute force.</summary>
internal sealed record RawEvent(int Index, string Type, long TimeMs, string Item, string User, string Category, double? Price, bool PriceAsText);

/// <summary>Seeded random streams with out-of-order, late and far-future events, and the definitions they feed.</summary>
internal static class OracleStream
{
    public static readonly long Start = DateTimeOffset.Parse("2026-03-02T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds();

    public static readonly ImmutableArray<TileLevel> Tiles =
    [
        new(Duration.Minute, 3 * Duration.Hour),
        new(Duration.Hour, 2 * Duration.Day),
        new(Duration.Day, 10 * Duration.Day),
    ];

    public static readonly ImmutableArray<long> Windows = [5 * Duration.Minute, Duration.Hour, 6 * Duration.Hour, Duration.Day, 7 * Duration.Day];

    public static FeatureSet Definitions()
    {
        FeatureDefinition Base(string name, string entity, AggregationKind aggregation, string[] types, string? field = null) => new()
        {
            Name = name,
            Entity = entity,
            Aggregation = aggregation,
            EventTypes = [.. types],
            Field = field,
            WindowsMs = Windows,
            Tiles = Tiles,
        };

        var features = ImmutableArray.Create(
            Base("item_views", "item", AggregationKind.Count, ["view"]),
            Base("item_clicks", "item", AggregationKind.Count, ["click"]),
            Base("item_revenue", "item", AggregationKind.Sum, ["purchase"], "price"),
            Base("item_price_mean", "item", AggregationKind.Mean, ["purchase"], "price"),
            Base("item_price_min", "item", AggregationKind.Min, ["purchase"], "price"),
            Base("item_price_max", "item", AggregationKind.Max, ["purchase"], "price"),
            Base("item_price_var", "item", AggregationKind.Variance, ["purchase"], "price"),
            Base("item_price_std", "item", AggregationKind.StdDev, ["purchase"], "price"),
            Base("item_last_user", "item", AggregationKind.Last, ["view", "click"], "user"),
            Base("item_recent_users", "item", AggregationKind.LastK, ["view"], "user") with { K = 5 },
            Base("item_decayed_views", "item", AggregationKind.DecayedSum, ["view"]) with { HalfLifeMs = Duration.Hour },
            Base("item_viewers", "item", AggregationKind.Distinct, ["view"], "user"),
            Base("item_expensive_views", "item", AggregationKind.Count, ["view", "purchase"]) with
            {
                Filter = [new FilterCondition("price", FilterOp.Gt, [FilterLiteral.Of(50)]), new FilterCondition("category", FilterOp.In, [FilterLiteral.Of("c1"), FilterLiteral.Of("c2")])],
            },
            Base("user_category_views", "user_category", AggregationKind.Count, ["view"]),
            Base("site_top_items", "site", AggregationKind.TopK, ["view"], "item") with { K = 10, Capacity = 100 },
            new FeatureDefinition
            {
                Name = "item_ctr", Entity = "item", Aggregation = AggregationKind.Ratio, Numerator = "item_clicks",
                Denominator = "item_views", PriorAlpha = 1, PriorBeta = 10, WindowsMs = Windows, Tiles = Tiles,
            },
            new FeatureDefinition
            {
                Name = "item_trend", Entity = "item", Aggregation = AggregationKind.Trend, Source = "item_views",
                ShortWindowMs = Duration.Hour, LongWindowMs = Duration.Day, Smoothing = 1, Tiles = Tiles,
            });

        return new FeatureSet("oracle", "1", new CatalogSettings { Tiles = Tiles }, [
            new EntityDefinition("item", ["item"], 1),
            new EntityDefinition("user_category", ["user", "category"], 2),
            new EntityDefinition("site", [], 3),
        ], features);
    }

    /// <summary>
    /// About <paramref name="count"/> events over ~12 days: Zipf-ish items, out-of-order jitter inside the allowed
    /// lateness, some events beyond it (late), a few far in the future, and purchases with missing or text prices.
    /// </summary>
    public static List<RawEvent> Generate(int seed, int count, long wallMs)
    {
        var random = new Random(seed);
        var events = new List<RawEvent>(count);
        long clock = Start;
        string[] types = ["view", "view", "view", "view", "click", "purchase"];
        for (int i = 0; i < count; i++)
        {
            clock += (long)(-Math.Log(1 - random.NextDouble()) * 35_000);
            long time = clock;
            double roll = random.NextDouble();
            if (roll < 0.25) time -= random.NextInt64(9 * Duration.Minute);               // out of order, in lateness
            else if (roll < 0.27) time -= (11 * Duration.Minute) + random.NextInt64(2 * Duration.Hour); // late
            else if (roll < 0.275) time = wallMs + Duration.Day + random.NextInt64(Duration.Day);       // far future

            int itemRank = (int)Math.Min(49, Math.Floor(Math.Pow(random.NextDouble(), 2.5) * 50));
            string type = types[random.Next(types.Length)];
            double? price = random.NextDouble() < 0.9 ? Math.Round(random.NextDouble() * 100, 2) : null;
            events.Add(new RawEvent(i, type, time, $"i{itemRank}", $"u{random.Next(30)}", $"c{random.Next(5)}", price, random.NextDouble() < 0.03));
        }

        return events;
    }

    /// <summary>Writes events into a batch the way a producer would.</summary>
    public static void Fill(EventBatch batch, StringInterner strings, IEnumerable<RawEvent> events)
    {
        int item = strings.GetOrAdd("item"), user = strings.GetOrAdd("user"), category = strings.GetOrAdd("category"), price = strings.GetOrAdd("price");
        foreach (var e in events)
        {
            batch.BeginEvent(strings.GetOrAdd(e.Type), e.TimeMs);
            batch.AddString(item, strings.GetOrAdd(e.Item));
            batch.AddString(user, strings.GetOrAdd(e.User));
            batch.AddString(category, strings.GetOrAdd(e.Category));
            if (e.Price is { } p)
            {
                if (e.PriceAsText)
                {
                    batch.AddString(price, strings.GetOrAdd(p.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                }
                else
                {
                    batch.AddNumber(price, p);
                }
            }

            batch.EndEvent();
        }
    }
}
