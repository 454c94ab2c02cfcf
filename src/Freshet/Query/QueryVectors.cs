using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text;
using System.Text.Json;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary>
/// <c>freshet query vectors ENTITY --keys k1,k2</c>: many keys read at one instant (<c>POST /v1/vectors/{entity}</c>),
/// one row per key and one column per feature and window.
/// </summary>
internal static class QueryVectors
{
    /// <summary>Items of a top-k or last-k value shown in a cell; a row per key leaves less room than a vector.</summary>
    private const int MaxItems = 3;

    public static Command Create(QueryOptions options)
    {
        var entity = new Argument<string>("ENTITY") { Description = "The entity, e.g. item, user, user_category" };
        var keys = new Option<string[][]?>("--keys")
        {
            Description = "The keys, comma-separated or repeated: --keys i1,i2,i3. A composite key joins its parts with '/': "
                + "--keys u1/shoes,u2/bags. Write a ',' or '/' inside a key as '\\,' or '\\/' (quoted for the shell)",
            HelpName = "keys",
            Required = true,
            Arity = ArgumentArity.OneOrMore,
            CustomParser = ParseKeys,
        };
        var features = QueryArguments.Features();
        var windows = QueryArguments.Windows();
        var asOf = QueryArguments.TimeOption("--as-of", "Read every key as it was at this time", "now, the same instant for all");
        var command = new Command("vectors", "Feature vectors of many keys at one instant: a row per key, a column per feature and window")
        {
            entity, keys, features, windows, asOf,
        };
        command.SetAction((result, cancellationToken) =>
        {
            string path = $"v1/vectors/{ApiPath.Segment(result.GetRequiredValue(entity))}";
            var request = new VectorBatchRequest(
                result.GetRequiredValue(keys)!.Select(KeyElement).ToArray(),
                result.GetValue(features) is { Length: > 0 } f ? f : null,
                result.GetValue(windows) is { Length: > 0 } w ? w.Select(QueryArguments.Format).ToArray() : null,
                result.GetValue(asOf) is { } at ? JsonSerializer.SerializeToElement(at) : null);
            string json = ApiJson.Write(request);
            return QueryCommand.RunAsync(result, options, (client, ct) => client.PostJsonAsync(path, json, ct),
                (body, view) => Render(ApiJson.Read<VectorBatchResponse>(body, "POST /v1/vectors/{entity}"), view), cancellationToken);
        });
        return command;
    }

    /// <summary>A one-part key is a JSON string; a composite key an array of its parts, as the API takes them.</summary>
    private static JsonElement KeyElement(string[] parts) =>
        parts.Length == 1 ? JsonSerializer.SerializeToElement(parts[0]) : JsonSerializer.SerializeToElement(parts);

    /// <summary>Splits <c>u1/shoes,u2/bags</c> into keys and parts; a backslash takes the next character as it is.</summary>
    internal static string[][]? ParseKeys(ArgumentResult result)
    {
        var keys = new List<string[]>();
        foreach (var token in result.Tokens)
        {
            if (!TrySplit(token.Value, keys, out string? problem))
            {
                result.AddError($"--keys: {problem}.");
                return null;
            }
        }

        if (keys.Count == 0)
        {
            result.AddError("--keys: give at least one key, e.g. --keys i1,i2.");
            return null;
        }

        return keys.ToArray();
    }

    private static bool TrySplit(string text, List<string[]> keys, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        foreach (string rawKey in SplitUnescaped(text, ','))
        {
            if (rawKey.Trim().Length == 0)
            {
                continue; // "i1,,i2" and a trailing comma are slips, not keys.
            }

            var parts = SplitUnescaped(rawKey, '/').Select(p => Unescape(p.Trim())).ToArray();
            if (parts.Any(p => p.Length == 0))
            {
                problem = $"'{rawKey}' has an empty key part; separate keys with ',' and the parts of a composite key with '/'";
                return false;
            }

            keys.Add(parts);
        }

        problem = null;
        return true;
    }

    /// <summary>Splits at each <paramref name="separator"/> not preceded by a backslash; escapes stay for the next split.</summary>
    private static List<string> SplitUnescaped(string text, char separator)
    {
        var segments = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\')
            {
                i++;
            }
            else if (text[i] == separator)
            {
                segments.Add(text[start..i]);
                start = i + 1;
            }
        }

        segments.Add(text[start..]);
        return segments;
    }

    private static string Unescape(string text)
    {
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            result.Append(text[i] == '\\' && i + 1 < text.Length ? text[++i] : text[i]);
        }

        return result.ToString();
    }

    private static void Render(VectorBatchResponse batch, QueryView view)
    {
        view.Heading(Markup.Escape($"{batch.Vectors.Count} {batch.Entity} keys at {QueryFormat.Utc(batch.At)}"));
        var reference = QueryFormat.Date(batch.At);

        // Columns in the order the first vector lists them; every vector of a batch has the same features and windows.
        var columns = batch.Vectors.SelectMany(v => v.Features.SelectMany(f => f.Value.Select(w => (Feature: f.Key, Window: w.Key))))
            .Distinct().ToArray();
        var table = view.Table();
        table.AddColumn(view.Column("key"));
        foreach (var (feature, window) in columns)
        {
            table.AddColumn(view.Column($"{feature} {window}", right: true));
        }

        foreach (var vector in batch.Vectors)
        {
            var cells = new List<string> { Markup.Escape(QueryFormat.Key(vector.Key)) + (vector.KnownKey || !view.Live ? "" : " [grey](new)[/]") };
            foreach (var (feature, window) in columns)
            {
                cells.Add(vector.Features.TryGetValue(feature, out var readings) && readings.TryGetValue(window, out var reading)
                    ? QueryFormat.Value(reading.Value, view, MaxItems)
                    : view.None);
            }

            table.AddRow([.. cells]);
        }

        view.Write(table);

        // The interval of a window depends on the instant and the feature's tiles, not on the key: say it once per window.
        var intervals = batch.Vectors.Take(1)
            .SelectMany(v => v.Features.SelectMany(f => f.Value.Select(w => (Window: w.Key, Interval: QueryFormat.Interval(w.Value.From, w.Value.To, reference, view)))))
            .Distinct().ToArray();
        if (intervals.Length > 0)
        {
            view.Note(Markup.Escape("intervals (UTC): " + string.Join("; ", intervals.Select(i =>
                intervals.Count(j => j.Window == i.Window) > 1 ? $"{i.Window} {i.Interval} (per feature)" : $"{i.Window} {i.Interval}"))));
        }
    }
}
