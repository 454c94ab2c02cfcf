using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Freshet.Time;

/// <summary>
/// Parses and prints the durations users write in definitions and queries: <c>500ms</c>, <c>30s</c>, <c>5m</c>,
/// <c>1h</c>, <c>24h</c>, <c>7d</c>, <c>2w</c>. Compound forms like <c>1h30m</c> are accepted. Values are milliseconds.
/// </summary>
public static class Duration
{
    public const long Second = 1000;
    public const long Minute = 60 * Second;
    public const long Hour = 60 * Minute;
    public const long Day = 24 * Hour;
    public const long Week = 7 * Day;

    /// <summary>What a valid duration looks like, for error messages.</summary>
    public const string Syntax = "a positive duration such as 30s, 5m, 1h, 24h, 7d or 1h30m (units: ms, s, m, h, d, w)";

    public static bool TryParse(ReadOnlySpan<char> text, out long ms)
    {
        ms = 0;
        text = text.Trim();
        if (text.IsEmpty)
        {
            return false;
        }

        while (!text.IsEmpty)
        {
            int digits = 0;
            while (digits < text.Length && char.IsAsciiDigit(text[digits]))
            {
                digits++;
            }

            if (digits == 0 || digits > 12 || !long.TryParse(text[..digits], NumberStyles.None, CultureInfo.InvariantCulture, out long n))
            {
                return false;
            }

            text = text[digits..];
            long unit;
            if (text.StartsWith("ms", StringComparison.Ordinal)) { unit = 1; text = text[2..]; }
            else if (text.StartsWith("s", StringComparison.Ordinal)) { unit = Second; text = text[1..]; }
            else if (text.StartsWith("m", StringComparison.Ordinal)) { unit = Minute; text = text[1..]; }
            else if (text.StartsWith("h", StringComparison.Ordinal)) { unit = Hour; text = text[1..]; }
            else if (text.StartsWith("d", StringComparison.Ordinal)) { unit = Day; text = text[1..]; }
            else if (text.StartsWith("w", StringComparison.Ordinal)) { unit = Week; text = text[1..]; }
            else { return false; }

            ms += n * unit;
        }

        return ms > 0;
    }

    public static long Parse(string text) =>
        TryParse(text, out long ms) ? ms : throw new FormatException($"'{text}' is not {Syntax}.");

    /// <summary>Prints the shortest exact form: 90000 → "1m30s", 86400000 → "1d".</summary>
    public static string Format(long ms)
    {
        if (ms <= 0)
        {
            return ms.ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var parts = new System.Text.StringBuilder();
        Span<(long Unit, string Name)> units = [(Day, "d"), (Hour, "h"), (Minute, "m"), (Second, "s"), (1, "ms")];
        foreach (var (unit, name) in units)
        {
            if (ms >= unit)
            {
                parts.Append(CultureInfo.InvariantCulture, $"{ms / unit}{name}");
                ms %= unit;
            }
        }

        return parts.ToString();
    }
}

/// <summary>Alignment of times to bucket boundaries (floor division that is correct for negative times too).</summary>
public static class TimeMath
{
    public static long FloorTo(long timeMs, long resolutionMs)
    {
        long r = timeMs % resolutionMs;
        return r < 0 ? timeMs - r - resolutionMs : timeMs - r;
    }

    public static long BucketOf(long timeMs, long resolutionMs) => FloorDiv(timeMs, resolutionMs);

    public static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
    }

    [return: NotNullIfNotNull(nameof(fallback))]
    public static string? FormatUtc(long timeMs, string? fallback = null) =>
        timeMs is >= -62135596800000 and <= 253402300799999
            ? DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)
            : fallback;
}
