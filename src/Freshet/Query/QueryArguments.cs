using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Freshet.Cli.Arguments;
using Freshet.Events;
using Freshet.Time;

namespace Freshet.Cli.Query;

/// <summary>
/// The options and arguments the query subcommands share, and their parsers. Everything a user can get wrong on the
/// command line (a duration, a time, a key list) is caught here, before any request, with a message naming the
/// option and what it expects.
/// </summary>
internal static class QueryArguments
{
    public const string TimeSyntax = "epoch milliseconds or ISO-8601 like 2025-11-21T10:00:00Z";

    public static Argument<string[]> Key(string description = "The key: one value per key field, in the entity's key order (none for a global entity)") => new("KEY")
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
    };

    public static Option<string[]?> Features() => ListOption("--features", "names",
        "Only these features, comma-separated or repeated [default: every feature of the entity]");

    public static Option<long[]?> Windows() => new("--windows", "-w")
    {
        Description = "Only these windows, comma-separated or repeated, e.g. 1h,1d [default: each feature's declared windows]",
        HelpName = "durations",
        Arity = ArgumentArity.OneOrMore,
        CustomParser = r => ParseDurations(r, "--windows"),
        DefaultValueFactory = _ => null, // Absent means "the declared windows", not an empty list.
    };

    public static Option<long?> DurationOption(string name, string description, string? alias = null)
    {
        var option = alias is null ? new Option<long?>(name) : new Option<long?>(name, alias);
        option.Description = description;
        option.HelpName = "duration";
        option.CustomParser = r => ParseDurations(r, name) is [var ms] ? ms : null;
        return option;
    }

    public static Option<long?> TimeOption(string name, string description, string defaultText) => new(name)
    {
        Description = $"{description}, as {TimeSyntax} [default: {defaultText}]",
        HelpName = "time",
        CustomParser = r => ParseTime(r, name),
    };

    public static Option<string[]?> ListOption(string name, string helpName, string description) => new(name)
    {
        Description = description,
        HelpName = helpName,
        Arity = ArgumentArity.OneOrMore,
        CustomParser = r => r.Tokens
            .SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToArray(),
        DefaultValueFactory = _ => null, // Absent means "all", not an empty list.
    };

    public static Option<int?> WholeNumberOption(string name, string helpName, string description, int min, int max, string? alias = null)
    {
        var option = alias is null ? new Option<int?>(name) : new Option<int?>(name, alias);
        option.Description = description;
        option.HelpName = helpName;
        option.CustomParser = r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max)
            {
                return n;
            }

            r.AddError($"{name}: '{text}' is not a whole number from {min} to {max}.");
            return null;
        };
        return option;
    }

    /// <summary>Durations, comma-separated or repeated: <c>1h,1d</c>.</summary>
    private static long[]? ParseDurations(ArgumentResult result, string name)
    {
        var durations = new List<long>();
        foreach (var token in result.Tokens)
        {
            foreach (string text in token.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                if (!OptionValues.TryParseDuration(text, allowZero: false, out long ms, out string? problem))
                {
                    result.AddError($"{name}: {problem}.");
                    return null;
                }

                durations.Add(ms);
            }
        }

        if (durations.Count == 0)
        {
            result.AddError($"{name}: give {Duration.Syntax}.");
            return null;
        }

        return durations.ToArray();
    }

    /// <summary>A time as the server reads it: epoch milliseconds or ISO-8601 (a time without an offset is UTC).</summary>
    private static long? ParseTime(ArgumentResult result, string name)
    {
        string text = result.Tokens.Count > 0 ? result.Tokens[0].Value.Trim() : "";
        if (TryParseTime(text, out long ms, out string? error))
        {
            return ms;
        }

        result.AddError($"{name}: {error}.");
        return null;
    }

    public static bool TryParseTime(string text, out long timeMs, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? error)
    {
        error = null;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out timeMs))
        {
            if (timeMs >= EventJsonParser.MinTimeMs)
            {
                return true;
            }

            error = timeMs >= EventJsonParser.MinTimeMs / 1000
                ? $"'{text}' looks like epoch seconds; times are epoch milliseconds ({text}000) or ISO-8601 like 2025-11-21T10:00:00Z"
                : $"'{text}' is not a time; write {TimeSyntax}";
            return false;
        }

        if (text.Length > 0 && char.IsAsciiDigit(text[0]) && EventJsonParser.TryParseIsoTime(text, out timeMs))
        {
            return true;
        }

        error = $"'{text}' is not a time; write {TimeSyntax}";
        return false;
    }

    /// <summary>A duration in the definitions' syntax, for a query string (the server parses the same syntax).</summary>
    public static string Format(long ms) => Duration.Format(ms);

    public static string FormatAll(IEnumerable<long> ms) => string.Join(',', ms.Select(Duration.Format));
}
