using System.Globalization;

namespace Freshet.Cli.Replay;

/// <summary>How replay writes numbers, sizes and times: invariant culture, grouped digits.</summary>
internal static class ReplayFormat
{
    public static string Count(double n) => n.ToString("N0", CultureInfo.InvariantCulture);

    public static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => (bytes / (double)(1L << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
        >= 1L << 10 => (bytes / (double)(1L << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };

    public static string Seconds(TimeSpan elapsed) => elapsed.TotalSeconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Rate(long events, TimeSpan elapsed) =>
        Count(elapsed.TotalSeconds > 0 ? events / elapsed.TotalSeconds : 0) + " events/s";

    public static string Percent(long part, long whole) =>
        (whole > 0 ? 100.0 * part / whole : 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>An epoch-millisecond time as "2019-10-01 02:50:00 UTC" (or "no events yet").</summary>
    public static string Time(long timeMs) =>
        timeMs is long.MinValue or long.MaxValue
            ? "no events yet"
            : DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);

    public static string Plural(long n, string one, string many) => $"{Count(n)} {(n == 1 ? one : many)}";
}
