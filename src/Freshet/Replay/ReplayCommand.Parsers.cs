using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

internal static partial class ReplayCommand
{
    private static InputFormat? ParseFormat(ArgumentResult result)
    {
        string text = Token(result);
        switch (text.ToLowerInvariant())
        {
            case "csv":
                return InputFormat.Csv;
            case "tsv":
                return InputFormat.Tsv;
            case "ndjson" or "jsonl" or "json":
                return InputFormat.Ndjson;
            default:
                result.AddError($"--format: '{text}' is not a format; use csv, tsv or ndjson.");
                return null;
        }
    }

    private static char? ParseDelimiter(ArgumentResult result)
    {
        string text = Token(result);
        switch (text.ToLowerInvariant())
        {
            case "tab" or "\\t" or "\t":
                return '\t';
            case "comma":
                return ',';
            case "semicolon":
                return ';';
            case "pipe":
                return '|';
        }

        if (text.Length == 1 && char.IsAscii(text[0]) && text[0] is not ('"' or '\r' or '\n'))
        {
            return text[0];
        }

        result.AddError($"--delimiter: '{text}' is not a separator; give one ASCII character (other than a quote), or tab.");
        return null;
    }

    private static TimeUnit? ParseTimeUnit(ArgumentResult result)
    {
        string text = Token(result);
        if (MappingSpec.TryParseUnit(text, out var unit))
        {
            return unit;
        }

        result.AddError($"--time-unit: '{text}' is not a time unit; use ms, s, us or ns.");
        return null;
    }

    private static double? ParseSpeed(ArgumentResult result)
    {
        string text = Token(result).Trim().TrimEnd('x', 'X', '×');
        if (text.Equals("max", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double speed) && double.IsFinite(speed) && speed > 0)
        {
            return speed;
        }

        result.AddError($"--speed: '{Token(result)}' is not 'max' or a positive number (N× real time, e.g. 60 for a minute of events a second).");
        return null;
    }

    private static Uri? ParseServer(ArgumentResult result)
    {
        string text = Token(result);
        if (!text.Contains("://", StringComparison.Ordinal))
        {
            text = "http://" + text; // "127.0.0.1:7700" is what people type.
        }

        if (Uri.TryCreate(text.TrimEnd('/') + "/", UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
        {
            return uri;
        }

        result.AddError($"--server: '{Token(result)}' is not an http:// or https:// address, like http://127.0.0.1:7700.");
        return null;
    }

    /// <summary>Comma-separated lists, also repeated: <c>--numbers a,b --numbers c</c>.</summary>
    private static string[] ParseList(ArgumentResult result)
    {
        var items = result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
        if (items.Length == 0)
        {
            result.AddError($"{result.Parent?.ToString() ?? "the option"}: give a comma-separated list of names.");
        }

        return items;
    }

    private static void Positive(Option<int> option, string name, int min, int max) => option.Validators.Add(result =>
    {
        int n = result.GetValueOrDefault<int>();
        if (n < min || n > max)
        {
            result.AddError($"{name} must be between {min} and {max.ToString("N0", CultureInfo.InvariantCulture)}, not {n}.");
        }
    });

    /// <summary>Splits <c>a=b</c> options at the first '='; a value without one is a usage error naming the option.</summary>
    private static bool TryPairs(string[]? values, string option, string shape, TextWriter error, out List<(string Left, string Right)> pairs)
    {
        pairs = [];
        foreach (string value in values ?? [])
        {
            int eq = value.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == value.Length - 1)
            {
                error.WriteLine($"{option} {value}: expected {shape}, with something on both sides of '='");
                return false;
            }

            pairs.Add((value[..eq].Trim(), value[(eq + 1)..].Trim()));
        }

        return true;
    }

    private static string Token(ArgumentResult result) => result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
}
