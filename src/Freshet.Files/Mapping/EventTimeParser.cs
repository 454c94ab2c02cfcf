using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;
using Freshet.Events;

namespace Freshet.Files.Mapping;

/// <summary>
/// Turns a time as a file spells it into epoch milliseconds: a number in <c>--time-unit</c> (milliseconds unless
/// told; fractions allowed, so 1396860669.277 s is 1396860669277 ms; fractions of a millisecond are dropped), an
/// ISO-8601 time (a time without an offset is UTC, and REES46's "2019-10-01 00:00:00 UTC" is accepted), or, with
/// <c>--time-format</c>, a .NET custom format. Times outside what the server accepts (1973 to 9999) are refused here
/// with a message that says why, so the row is rejected with its line number instead of by the server.
/// </summary>
public sealed class EventTimeParser(TimeUnit? unit, string? format)
{
    private const int MaxTextLength = 64;

    public bool TryParse(ReadOnlySpan<byte> utf8, out long timeMs, [NotNullWhen(false)] out string? error)
    {
        utf8 = utf8.Trim(" \t"u8);
        error = null;
        bool parsed = format is not null
            ? TryParseExact(utf8, format, out timeMs, ref error)
            : TryParseNumber(utf8, unit ?? TimeUnit.Milliseconds, out timeMs, out bool numeric)
              || (!numeric && TryParseIso(utf8, out timeMs));
        if (!parsed)
        {
            error ??= $"time '{Shorten(utf8)}' is not a time: expected epoch {MappingSpec.UnitName(unit ?? TimeUnit.Milliseconds)}"
                + (unit is null ? " (or give --time-unit)" : "") + ", ISO-8601 such as 2019-10-01T00:00:00Z, or a --time-format";
            return false;
        }

        if (timeMs is < EventJsonParser.MinTimeMs or > EventJsonParser.MaxTimeMs)
        {
            error = unit is null && format is null && timeMs is > 0 and < EventJsonParser.MinTimeMs && IsDigits(utf8)
                ? $"time {Shorten(utf8)} looks like epoch seconds, not milliseconds; say --time-unit s"
                : $"time '{Shorten(utf8)}' is {TimeText(timeMs)}, outside what events may have (1973 to 9999)";
            return false;
        }

        return true;
    }

    /// <summary>Reads a number of milliseconds (a <c>--time-offset</c> column); fractions are dropped.</summary>
    public static bool TryParseMilliseconds(ReadOnlySpan<byte> utf8, out long ms) =>
        TryParseNumber(utf8.Trim(" \t"u8), TimeUnit.Milliseconds, out ms, out _);

    /// <summary>
    /// A number in <paramref name="numberUnit"/> to milliseconds. <paramref name="numeric"/> says whether the text was
    /// a number at all (false for a date like 2019-10-01), so a number out of range is not retried as a date.
    /// </summary>
    private static bool TryParseNumber(ReadOnlySpan<byte> utf8, TimeUnit numberUnit, out long ms, out bool numeric)
    {
        ms = 0;
        numeric = false;
        if (utf8.IsEmpty || !(IsDigit(utf8[0]) || (utf8.Length > 1 && utf8[0] is (byte)'-' or (byte)'+' or (byte)'.' && IsDigit(utf8[1]))))
        {
            return false;
        }

        // Whole numbers, the common case, without decimal arithmetic.
        if (Utf8Parser.TryParse(utf8, out long whole, out int consumed) && consumed == utf8.Length)
        {
            numeric = true;
            switch (numberUnit)
            {
                case TimeUnit.Seconds:
                    if (whole is > long.MaxValue / 1000 or < long.MinValue / 1000)
                    {
                        ms = whole < 0 ? long.MinValue : long.MaxValue;
                        return true; // The range check reports it.
                    }

                    ms = whole * 1000;
                    return true;
                case TimeUnit.Microseconds:
                    ms = Floor(whole, 1000);
                    return true;
                case TimeUnit.Nanoseconds:
                    ms = Floor(whole, 1_000_000);
                    return true;
                default:
                    ms = whole;
                    return true;
            }
        }

        // Decimal, not double: 1396860669.277 s must be exactly 1396860669277 ms.
        if (!decimal.TryParse(utf8, NumberStyles.Float, CultureInfo.InvariantCulture, out decimal value))
        {
            return false;
        }

        numeric = true;
        decimal scaled = numberUnit switch
        {
            TimeUnit.Seconds => value * 1000m,
            TimeUnit.Microseconds => value / 1000m,
            TimeUnit.Nanoseconds => value / 1_000_000m,
            _ => value,
        };
        scaled = decimal.Floor(scaled);
        ms = scaled > long.MaxValue ? long.MaxValue : scaled < long.MinValue ? long.MinValue : (long)scaled;
        return true;
    }

    private static bool TryParseExact(ReadOnlySpan<byte> utf8, string timeFormat, out long timeMs, ref string? error)
    {
        timeMs = 0;
        Span<char> chars = stackalloc char[MaxTextLength];
        if (utf8.Length > MaxTextLength || !Encoding.UTF8.TryGetChars(utf8, chars, out int n))
        {
            error = $"time '{Shorten(utf8)}' is longer than {MaxTextLength} characters";
            return false;
        }

        if (DateTimeOffset.TryParseExact(chars[..n], timeFormat, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            timeMs = parsed.ToUnixTimeMilliseconds();
            return true;
        }

        error = $"time '{Shorten(utf8)}' does not match --time-format '{timeFormat}'";
        return false;
    }

    /// <summary>ISO-8601: a fast path for yyyy-MM-dd[(T| )HH:mm:ss[.f…]][Z| UTC], the general parser for the rest.</summary>
    private static bool TryParseIso(ReadOnlySpan<byte> utf8, out long timeMs)
    {
        if (TryParseSimpleIso(utf8, out timeMs))
        {
            return true;
        }

        Span<char> chars = stackalloc char[MaxTextLength];
        return utf8.Length <= MaxTextLength && Encoding.UTF8.TryGetChars(utf8, chars, out int n)
            && EventJsonParser.TryParseIsoTime(chars[..n], out timeMs);
    }

    private static bool TryParseSimpleIso(ReadOnlySpan<byte> s, out long timeMs)
    {
        timeMs = 0;
        if (s.Length < 10 || s[4] != '-' || s[7] != '-'
            || !TryDigits(s[..4], out int year) || !TryDigits(s.Slice(5, 2), out int month) || !TryDigits(s.Slice(8, 2), out int day)
            || year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        int hour = 0, minute = 0, second = 0;
        long fractionTicks = 0;
        var rest = s[10..];
        if (!rest.IsEmpty)
        {
            if (rest.Length < 9 || rest[0] is not ((byte)'T' or (byte)' ') || rest[3] != ':' || rest[6] != ':'
                || !TryDigits(rest.Slice(1, 2), out hour) || !TryDigits(rest.Slice(4, 2), out minute) || !TryDigits(rest.Slice(7, 2), out second)
                || hour > 23 || minute > 59 || second > 59)
            {
                return false;
            }

            rest = rest[9..];
            if (!rest.IsEmpty && rest[0] == '.')
            {
                int digits = 1;
                long scale = TimeSpan.TicksPerSecond / 10;
                while (digits < rest.Length && IsDigit(rest[digits]))
                {
                    fractionTicks += (rest[digits] - '0') * scale;
                    scale /= 10;
                    digits++;
                }

                if (digits == 1)
                {
                    return false;
                }

                rest = rest[digits..];
            }

            if (!(rest.IsEmpty || rest.SequenceEqual("Z"u8) || rest.SequenceEqual("z"u8) || rest.SequenceEqual(" UTC"u8)))
            {
                return false; // An offset such as +02:00: the general parser handles it.
            }
        }

        long ticks = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc).Ticks + fractionTicks;
        timeMs = (ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (byte b in s)
        {
            if (!IsDigit(b))
            {
                return false;
            }

            value = (value * 10) + (b - '0');
        }

        return true;
    }

    private static long Floor(long a, long b) => (a / b) - ((a % b) < 0 ? 1 : 0);

    private static bool IsDigit(byte b) => b is >= (byte)'0' and <= (byte)'9';

    private static bool IsDigits(ReadOnlySpan<byte> s) => !s.IsEmpty && s.IndexOfAnyExceptInRange((byte)'0', (byte)'9') < 0;

    private static string TimeText(long timeMs) =>
        timeMs is >= -62_135_596_800_000 and <= EventJsonParser.MaxTimeMs
            ? DateTimeOffset.FromUnixTimeMilliseconds(timeMs).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)
            : "out of any calendar";

    /// <summary>The text for a message: at most 40 characters.</summary>
    public static string Shorten(ReadOnlySpan<byte> utf8)
    {
        string text = Encoding.UTF8.GetString(utf8.Length > 160 ? utf8[..160] : utf8);
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
