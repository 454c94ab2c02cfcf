using System.CommandLine;
using System.CommandLine.Parsing;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Freshet.Time;

namespace Freshet.Cli.Arguments;

/// <summary>
/// Durations and sizes as every command's options take them (<c>30s</c>, <c>64MiB</c>): the options, their parsers and
/// how help shows their defaults. One home, so <c>serve</c>, <c>demo</c>, <c>replay</c> and <c>query</c> read them alike.
/// </summary>
internal static class OptionValues
{
    /// <summary>A duration option whose help shows its default as users type it (<c>30s</c>, or <c>0</c> when <paramref name="allowZero"/> lets 0 mean off).</summary>
    public static Option<DurationValue> DurationOption(string name, string description, long defaultMs, bool allowZero = false) => new(name)
    {
        Description = description,
        HelpName = "duration",
        CustomParser = r => new DurationValue(ParseDuration(r, allowZero)),
        DefaultValueFactory = _ => new DurationValue(defaultMs),
    };

    /// <summary>A size option whose help shows its default as users type it (<c>64MiB</c>).</summary>
    public static Option<SizeValue> SizeOption(string name, string description, long defaultBytes, long maxBytes = 1L << 31) => new(name)
    {
        Description = description,
        HelpName = "size",
        CustomParser = r => new SizeValue(ParseSize(r, maxBytes)),
        DefaultValueFactory = _ => new SizeValue(defaultBytes),
    };

    /// <summary>A byte size: <c>16MiB</c>, <c>512KiB</c>, <c>1GiB</c>, <c>16MB</c> (read as MiB) or plain bytes, at most 2 GiB.</summary>
    public static long ParseSize(ArgumentResult result) => ParseSize(result, 1L << 31);

    /// <summary>A byte size up to <paramref name="max"/> bytes (<c>TiB</c> accepted too).</summary>
    public static long ParseSize(ArgumentResult result, long max)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        (string Suffix, long Factor)[] units = [("tib", 1L << 40), ("tb", 1L << 40), ("kib", 1L << 10), ("mib", 1L << 20), ("gib", 1L << 30), ("kb", 1L << 10), ("mb", 1L << 20), ("gb", 1L << 30), ("k", 1L << 10), ("m", 1L << 20), ("g", 1L << 30), ("b", 1)];
        long factor = 1;
        string number = text;
        foreach (var (suffix, f) in units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                factor = f;
                number = text[..^suffix.Length];
                break;
            }
        }

        if (long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= max / factor)
        {
            return n * factor;
        }

        result.AddError($"{OptionName(result)}: '{text}' is not a size like 16MiB, 512KiB or a number of bytes (at most {FormatSize(max)}).");
        return 0;
    }

    public static long ParseDuration(ArgumentResult result, bool allowZero)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (TryParseDuration(text, allowZero, out long ms, out string? problem))
        {
            return ms;
        }

        result.AddError($"{OptionName(result)}: {problem}.");
        return 0;
    }

    /// <summary>
    /// A duration as options take it (<see cref="Duration.Syntax"/>), and <c>0</c> when <paramref name="allowZero"/>. A
    /// bare number is refused with the forms it could have meant: 30000 is 30s as milliseconds but 8h20m as seconds.
    /// </summary>
    public static bool TryParseDuration(string text, bool allowZero, out long ms, [NotNullWhen(false)] out string? problem)
    {
        problem = null;
        string trimmed = text.Trim();
        if (allowZero && trimmed == "0")
        {
            ms = 0;
            return true;
        }

        if (Duration.TryParse(trimmed, out ms))
        {
            return true;
        }

        string units = "units: ms, s, m, h, d, w" + (allowZero ? "; 0 turns it off" : "");
        problem = long.TryParse(trimmed, NumberStyles.None, CultureInfo.InvariantCulture, out long bare) && bare > 0 && bare < (long.MaxValue / Duration.Week)
            ? $"'{trimmed}' has no unit: write {Duration.Format(bare)} for {bare} milliseconds, or {bare}s for seconds ({units})"
            : $"'{text}' is not {Duration.Syntax}" + (allowZero ? "; 0 turns it off" : "");
        return false;
    }

    /// <summary>A duration as help shows it and options read it: <c>30s</c>, <c>7d</c>, or <c>0</c>.</summary>
    public static string FormatDuration(long ms) => ms == 0 ? "0" : Duration.Format(ms);

    /// <summary>A size as help shows it and options read it, without a space: <c>64MiB</c>.</summary>
    public static string FormatSizeArgument(long bytes) => FormatSize(bytes).Replace(" bytes", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);

    /// <summary>The option a value belongs to (<c>--checkpoint-interval</c>), for messages; an argument's own name otherwise.</summary>
    public static string OptionName(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    public static string FormatSize(long bytes) => bytes switch
    {
        >= 1L << 40 when bytes % (1L << 40) == 0 => $"{bytes >> 40} TiB",
        >= 1L << 30 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        >= 1L << 20 when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        >= 1L << 10 when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        _ => $"{bytes} bytes",
    };
}

/// <summary>A duration option's value in milliseconds; it prints the way it is typed (<c>30s</c>, <c>0</c>), which is how help shows a default.</summary>
internal readonly record struct DurationValue(long Ms)
{
    public override string ToString() => OptionValues.FormatDuration(Ms);
}

/// <summary>A size option's value in bytes; it prints the way it is typed (<c>64MiB</c>), which is how help shows a default.</summary>
internal readonly record struct SizeValue(long Bytes)
{
    public override string ToString() => OptionValues.FormatSizeArgument(Bytes);
}
