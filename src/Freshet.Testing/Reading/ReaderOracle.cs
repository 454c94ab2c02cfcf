using Freshet.Time;

namespace Freshet.Testing.Reading;

/// <summary>
/// The contract's features recomputed by brute force from the events, over an interval <c>[from, to)</c> (a reader
/// reports the interval each value summed, so the oracle needs no knowledge of tiles). Derived features restate their
/// formulas here rather than borrowing Core's, so a wrong formula fails.
/// </summary>
internal sealed class ReaderOracle(IReadOnlyList<ReaderEvent> events)
{
    /// <summary>The value of base or ratio feature <paramref name="feature"/> of <paramref name="key"/> over [from, to).</summary>
    public double Value(string feature, string key, long fromMs, long toMs) => feature switch
    {
        "item_views" => Count(e => e.Type == "view" && e.Item == key, fromMs, toMs),
        "item_clicks" => Count(e => e.Type == "click" && e.Item == key, fromMs, toMs),
        "item_revenue" => In(fromMs, toMs).Where(e => e.Type == "purchase" && e.Item == key).Sum(e => e.Price ?? 0),
        "item_viewers" => In(fromMs, toMs).Where(e => e.Type == "view" && e.Item == key).Select(e => e.User).Distinct(StringComparer.Ordinal).Count(),
        "item_ctr" => (Value("item_clicks", key, fromMs, toMs) + ReaderStream.PriorAlpha)
            / (Value("item_views", key, fromMs, toMs) + ReaderStream.PriorAlpha + ReaderStream.PriorBeta),
        "user_views" => Count(e => e.Type == "view" && e.User == key, fromMs, toMs),
        "site_views" => Count(e => e.Type is "view" or "click", fromMs, toMs),
        _ => throw new ArgumentException($"the oracle has no rule for feature '{feature}'", nameof(feature)),
    };

    /// <summary>Trend of item_views, 1h over 1d: each rate smoothed by the same pseudo-count, scaled to its window.</summary>
    public static double Trend(double recentViews, double dayViews)
    {
        const double shortMs = Duration.Hour, longMs = Duration.Day, s = ReaderStream.TrendSmoothing;
        return ((recentViews + (s * shortMs / longMs)) / shortMs) / ((dayViews + s) / longMs);
    }

    /// <summary>Views of <paramref name="item"/> in [from, to) whose hour of day (UTC) is <paramref name="hour"/>.</summary>
    public double ViewsInHourOfDay(string item, int hour, long fromMs, long toMs) =>
        Count(e => e.Type == "view" && e.Item == item && DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs).Hour == hour, fromMs, toMs);

    /// <summary>Views of <paramref name="item"/> in [from, to) on ISO weekday <paramref name="weekday"/> (Monday 0, UTC).</summary>
    public double ViewsOnWeekday(string item, int weekday, long fromMs, long toMs) =>
        Count(e => e.Type == "view" && e.Item == item && ((int)DateTimeOffset.FromUnixTimeMilliseconds(e.TimeMs).DayOfWeek + 6) % 7 == weekday, fromMs, toMs);

    private double Count(Func<ReaderEvent, bool> match, long fromMs, long toMs) => In(fromMs, toMs).Count(match);

    private IEnumerable<ReaderEvent> In(long fromMs, long toMs) => events.Where(e => e.TimeMs >= fromMs && e.TimeMs < toMs);
}
