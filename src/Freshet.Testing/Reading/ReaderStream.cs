using System.Globalization;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Testing.Reading;

/// <summary>One event of the reader contract's stream: a view, click or purchase (with a price) of an item by a user.</summary>
public sealed record ReaderEvent(string Type, long TimeMs, string Item, string User, double? Price)
{
    /// <summary>The event as one line of the ingest API's NDJSON (for a reader fed over HTTP).</summary>
    public string ToJson() => Price is { } price
        ? string.Create(CultureInfo.InvariantCulture, $$"""{"type":"{{Type}}","time":{{TimeMs}},"item":"{{Item}}","user":"{{User}}","price":{{price}}}""")
        : string.Create(CultureInfo.InvariantCulture, $$"""{"type":"{{Type}}","time":{{TimeMs}},"item":"{{Item}}","user":"{{User}}"}""");

    /// <summary>Appends <paramref name="events"/> to <paramref name="batch"/>, interning into <paramref name="strings"/> (for an in-process router).</summary>
    public static void Fill(EventBatch batch, StringInterner strings, IEnumerable<ReaderEvent> events)
    {
        int item = strings.GetOrAdd("item"), user = strings.GetOrAdd("user"), price = strings.GetOrAdd("price");
        foreach (var e in events)
        {
            batch.BeginEvent(strings.GetOrAdd(e.Type), e.TimeMs);
            batch.AddString(item, strings.GetOrAdd(e.Item));
            batch.AddString(user, strings.GetOrAdd(e.User));
            if (e.Price is { } p)
            {
                batch.AddNumber(price, p);
            }

            batch.EndEvent();
        }
    }
}

/// <summary>
/// The catalog and the seeded stream the reader contract reads: two days of views, clicks and purchases of a few
/// items by a few users, in time order (nothing late, nothing from the future), ending at <see cref="EndMs"/>.
/// </summary>
public static class ReaderStream
{
    /// <summary>2026-11-21T00:00:00Z, the start of the stream.</summary>
    public const long StartMs = 1_763_683_200_000;

    /// <summary>The time of the last event: the reader's now once it has all of them (event-time clock).</summary>
    public const long EndMs = StartMs + (2 * Duration.Day) - (17 * Duration.Minute);

    public const int Items = 12;

    public const int Users = 25;

    /// <summary>The prior of <c>item_ctr</c>: (clicks + α) / (views + α + β).</summary>
    public const double PriorAlpha = 1, PriorBeta = 9;

    /// <summary>The smoothing pseudo-count of <c>item_trend</c> (1h over 1d of <c>item_views</c>).</summary>
    public const double TrendSmoothing = 2;

    /// <summary>The features every reader under the contract runs: count, sum, ratio, trend and distinct, on three entities.</summary>
    public const string FeaturesYaml = """
        settings:
          clock: event_time
          allowed_lateness: 10m
          max_future: 5m
          tiles:
            - { resolution: 1m, keep: 3h }
            - { resolution: 1h, keep: 8d }
            - { resolution: 1d, keep: 35d }
        entities:
          item: item
          user: user
          site: []
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 1d] }
          item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 1d] }
          item_revenue: { entity: item, events: [purchase], aggregation: sum, field: price, windows: [1h, 1d] }
          item_ctr: { entity: item, aggregation: ratio, numerator: item_clicks, denominator: item_views, prior: { alpha: 1, beta: 9 }, windows: [1h, 1d] }
          item_trend: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 1d, smoothing: 2 }
          item_viewers: { entity: item, events: [view], aggregation: distinct, field: user, windows: [1d] }
          user_views: { entity: user, events: [view], aggregation: count, windows: [1h, 1d] }
          site_views: { entity: site, events: [view, click], aggregation: count, windows: [1h, 1d] }
        """;

    public static FeatureSet Definitions() => FeatureDefinitionLoader.Parse(FeaturesYaml, "reader-contract.yaml");

    /// <summary>The stream of <paramref name="seed"/>: about <paramref name="count"/> events, time-ordered, the last at <see cref="EndMs"/>.</summary>
    public static IReadOnlyList<ReaderEvent> Generate(int seed, int count = 3_000)
    {
        var random = new Random(seed);
        var times = new long[count];
        for (int i = 0; i < count - 1; i++)
        {
            times[i] = StartMs + (long)(random.NextDouble() * (EndMs - StartMs));
        }

        times[^1] = EndMs;
        Array.Sort(times);
        var events = new ReaderEvent[count];
        for (int i = 0; i < count; i++)
        {
            // Skewed popularity, so some items are busy and some nearly idle; item 0 is the busiest.
            string item = $"i{(int)(Items * Math.Pow(random.NextDouble(), 2))}";
            string user = $"u{random.Next(Users)}";
            double roll = random.NextDouble();
            events[i] = roll < 0.75 ? new ReaderEvent("view", times[i], item, user, null)
                : roll < 0.95 ? new ReaderEvent("click", times[i], item, user, null)
                : new ReaderEvent("purchase", times[i], item, user, Math.Round(5 + (random.NextDouble() * 95), 2));
        }

        return events;
    }
}
