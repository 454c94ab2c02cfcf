using System.Globalization;
using System.Text;
using Freshet.Time;

namespace Freshet.Cli.Demo;

/// <summary>How the demo writes numbers, sizes, times and sparklines: invariant culture, grouped digits.</summary>
internal static class DemoFormat
{
    private const string Bars = "▁▂▃▄▅▆▇█";
    private const string AsciiBars = "_.-=+*#@";

    public static string Count(double n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>1234 → 1.2k, 5600000 → 5.6M.</summary>
    public static string Compact(double n) => n switch
    {
        >= 1e9 => (n / 1e9).ToString("0.#", CultureInfo.InvariantCulture) + "G",
        >= 1e6 => (n / 1e6).ToString("0.#", CultureInfo.InvariantCulture) + "M",
        >= 1e4 => (n / 1e3).ToString("0", CultureInfo.InvariantCulture) + "k",
        >= 1e3 => (n / 1e3).ToString("0.#", CultureInfo.InvariantCulture) + "k",
        _ => n.ToString("0", CultureInfo.InvariantCulture),
    };

    public static string Percent(double fraction) => (fraction * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%";

    public static string Decimal(double x, string format = "0.00") => x.ToString(format, CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Simulated time, to the minute, with the day of the week: "Thu 2026-01-01 19:42".</summary>
    public static string SimulatedTime(long timeMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime.ToString("ddd yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    /// <summary>A span of simulated time to the minute: "1d6h12m".</summary>
    public static string Span(long ms) => ms < Duration.Minute ? Duration.Format(Math.Max(ms, 1)) : Duration.Format(ms - (ms % Duration.Minute));

    /// <summary>One character per value, scaled between zero and the largest value.</summary>
    public static string Sparkline(IReadOnlyList<double> values, bool unicode)
    {
        string bars = unicode ? Bars : AsciiBars;
        double max = values.Count == 0 ? 0 : values.Max();
        var line = new StringBuilder(values.Count);
        foreach (double v in values)
        {
            int level = max > 0 ? (int)Math.Round(v / max * (bars.Length - 1)) : 0;
            line.Append(bars[Math.Clamp(level, 0, bars.Length - 1)]);
        }

        return line.ToString();
    }
}
