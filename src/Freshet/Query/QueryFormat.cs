using System.Globalization;
using System.Text;
using Freshet.Aggregation;
using Freshet.Time;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary>How query answers print: exact numbers in the invariant culture, compact item lists, UTC times and intervals.</summary>
internal static class QueryFormat
{
    /// <summary>Partial blocks for bars, an eighth of a cell each.</summary>
    private const string Eighths = "▏▎▍▌▋▊▉█";

    /// <summary>Counts print whole ("1234"), everything else with six significant digits ("0.0909091").</summary>
    public static string Number(double x) =>
        double.IsFinite(x) && x == Math.Floor(x) && Math.Abs(x) < 1e15
            ? x.ToString("0", CultureInfo.InvariantCulture)
            : x.ToString("G6", CultureInfo.InvariantCulture);

    /// <summary>A key as a person reads it: <c>i42</c>, <c>u1/shoes</c>, or "(global)" for an entity without a key.</summary>
    public static string Key(IReadOnlyList<string> key) => key.Count == 0 ? "(global)" : string.Join('/', key);

    /// <summary>A feature value as markup: a number, the view's "none" mark, or a compact item list.</summary>
    public static string Value(FeatureValue value, QueryView view, int maxItems) => value.Kind switch
    {
        FeatureValueKind.Number when double.IsFinite(value.Number) => Number(value.Number),
        FeatureValueKind.Items when value.Items is { Length: > 0 } items => Markup.Escape(Items(items, maxItems, view.Unicode)),
        _ => view.None,
    };

    /// <summary>
    /// A top-k or last-k list: <c>i1 (30), i2 (12), … +3</c>. A top-k item shows its count (and the Space-Saving error
    /// bound when there is one), a last-k string just itself, a last-k number its value.
    /// </summary>
    public static string Items(IReadOnlyList<ItemValue> items, int maxItems, bool unicode)
    {
        var text = new StringBuilder();
        int shown = Math.Min(items.Count, maxItems);
        for (int i = 0; i < shown; i++)
        {
            if (i > 0)
            {
                text.Append(", ");
            }

            text.Append(Item(items[i]));
        }

        if (items.Count > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $", {(unicode ? "…" : "...")} +{items.Count - shown}");
        }

        return text.ToString();
    }

    public static string Item(ItemValue item)
    {
        if (item.Item is null)
        {
            return double.IsFinite(item.Value) ? Number(item.Value) : "?";
        }

        if (!double.IsFinite(item.Value))
        {
            return item.Item;
        }

        return item.Error > 0
            ? $"{item.Item} ({Number(item.Value)} ±{Number(item.Error)})"
            : $"{item.Item} ({Number(item.Value)})";
    }

    /// <summary>A full UTC time for headings: "2025-11-21 12:00 UTC", with seconds and milliseconds only when set.</summary>
    public static string Utc(long timeMs) => Instant(timeMs, reference: null) + " UTC";

    /// <summary>
    /// A UTC time as short as it can be next to <paramref name="reference"/> (the time the answer is about): the time
    /// of day alone on the same date, month and day in the same year, the full date otherwise.
    /// </summary>
    public static string Instant(long timeMs, DateTime? reference)
    {
        if (TimeMath.FormatUtc(timeMs) is null)
        {
            return timeMs.ToString(CultureInfo.InvariantCulture);
        }

        var time = DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime;
        string clock = time.Millisecond != 0 ? "HH:mm:ss.fff" : time.Second != 0 ? "HH:mm:ss" : "HH:mm";
        string date = reference is not { } r ? "yyyy-MM-dd "
            : r.Date == time.Date ? ""
            : r.Year == time.Year ? "MM-dd "
            : "yyyy-MM-dd ";
        return time.ToString(date + clock, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The interval an answer summed, <c>[from, to)</c>, compactly: "11:00 → 12:00 (1h)". Without a reference the
    /// start is written in full and the end next to it.
    /// </summary>
    public static string Interval(long fromMs, long toMs, DateTime? reference, QueryView view) =>
        $"{Instant(fromMs, reference)} {view.Arrow} {Instant(toMs, reference ?? Date(fromMs))} ({Span(toMs - fromMs)})";

    /// <summary>A length of time in the definitions' syntax ("1h1m"), which is also how windows are written.</summary>
    public static string Span(long ms) => ms <= 0 ? "0s" : Duration.Format(ms);

    public static DateTime Date(long timeMs) =>
        TimeMath.FormatUtc(timeMs) is null ? DateTime.MinValue : DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime;

    /// <summary>A horizontal bar of up to <paramref name="width"/> cells for <paramref name="value"/> out of <paramref name="max"/>.</summary>
    public static string Bar(double value, double max, int width, bool unicode)
    {
        if (!double.IsFinite(value) || value <= 0 || !(max > 0))
        {
            return "";
        }

        double cells = Math.Min(value / max, 1) * width;
        if (!unicode)
        {
            return new string('#', Math.Max(1, (int)Math.Round(cells)));
        }

        int eighths = Math.Max(1, (int)Math.Round(cells * 8));
        return new string(Eighths[^1], eighths / 8) + (eighths % 8 == 0 ? "" : Eighths[(eighths % 8) - 1].ToString());
    }
}
