using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using Freshet.Events;
using Freshet.Time;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Freshet.Server.Serving;

/// <summary>
/// Reads the serving API's query parameters. Lists may be comma-separated or repeated (<c>features=a,b</c> or
/// <c>features=a&amp;features=b</c>); times are epoch milliseconds or ISO-8601; windows use the definitions' syntax.
/// Each reader returns false with a problem result naming the parameter and the rule.
/// </summary>
internal static class QueryArgs
{
    /// <summary>The key, one occurrence per part of a composite key (described for the API: see <see cref="ApiDescription.QueryParameter"/>).</summary>
    public static readonly ApiDescription.QueryParameter KeyParameter = new("key", ApiDescription.QueryValue.Text,
        "The key: one value per key field, repeated in the entity's key order for a composite key (key=u1&key=shoes for [user, category]); "
        + "none for a global entity. A key never seen reads like one with no events.", "K") { Repeated = true };

    public static readonly ApiDescription.QueryParameter AsOfParameter = new("as_of", ApiDescription.QueryValue.Time,
        "Read as of this time, epoch milliseconds or ISO-8601 (default: now, the newest event time in event_time mode). "
        + "422 out-of-range when after now or before the oldest tile kept.", "T");

    /// <summary>The key parts, in the entity's key order: <c>key=u1&amp;key=shoes</c> for <c>[user, category]</c>.</summary>
    public static string[] Key(HttpRequest request) => request.Query["key"].Where(k => k is not null).Select(k => k!).ToArray();

    public static string[]? List(StringValues values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        return values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToArray();
    }

    public static bool TryWindows(string parameter, IEnumerable<string>? texts, out long[]? windowsMs, [NotNullWhen(false)] out IResult? problem)
    {
        windowsMs = null;
        problem = null;
        if (texts is null)
        {
            return true;
        }

        var result = new List<long>();
        foreach (string text in texts)
        {
            if (!Duration.TryParse(text, out long ms) || ms <= 0)
            {
                problem = Problems.Problems.Of(StatusCodes.Status400BadRequest, "bad-window", "Bad window",
                    $"{parameter}: '{text}' is not a window; write {Duration.Syntax}", [new("parameter", parameter)]);
                return false;
            }

            result.Add(ms);
        }

        windowsMs = result.Count == 0 ? null : result.ToArray();
        return true;
    }

    public static bool TryWindow(string parameter, string? text, out long? windowMs, [NotNullWhen(false)] out IResult? problem)
    {
        windowMs = null;
        if (!TryWindows(parameter, text is null ? null : [text], out var windows, out problem))
        {
            return false;
        }

        windowMs = windows?[0];
        return true;
    }

    /// <summary>A time: epoch milliseconds or ISO-8601 (<c>2026-11-21T10:00:00Z</c>).</summary>
    public static bool TryTime(string parameter, string? text, out long? timeMs, [NotNullWhen(false)] out IResult? problem)
    {
        timeMs = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long ms))
        {
            if (ms is > 0 and < EventJsonParser.MinTimeMs && ms * 1000 is >= EventJsonParser.MinTimeMs and <= EventJsonParser.MaxTimeMs)
            {
                problem = Problems.Problems.BadParameter(parameter,
                    $"{parameter}: {text} looks like epoch seconds; times are epoch milliseconds ({ms}000) or ISO-8601");
                return false;
            }

            if (ms is < EventJsonParser.MinTimeMs or > EventJsonParser.MaxTimeMs)
            {
                problem = Problems.Problems.BadParameter(parameter, string.Create(CultureInfo.InvariantCulture,
                    $"{parameter}: {text} is out of range; times are epoch milliseconds from {EventJsonParser.MinTimeMs} ({TimeMath.FormatUtc(EventJsonParser.MinTimeMs, "?")}) "
                    + $"to {EventJsonParser.MaxTimeMs} ({TimeMath.FormatUtc(EventJsonParser.MaxTimeMs, "?")}), or ISO-8601"));
                return false;
            }

            timeMs = ms;
            return true;
        }

        if (EventJsonParser.TryParseIsoTime(text, out ms))
        {
            timeMs = ms;
            return true;
        }

        problem = Problems.Problems.BadParameter(parameter, $"{parameter}: '{text}' is not a time; write epoch milliseconds or ISO-8601 like 2026-11-21T10:00:00Z");
        return false;
    }

    /// <summary>A time given in a JSON body: a number (epoch ms) or a string.</summary>
    public static bool TryTime(string member, JsonElement? element, out long? timeMs, [NotNullWhen(false)] out IResult? problem) =>
        element switch
        {
            null or { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => TryTime(member, (string?)null, out timeMs, out problem),
            { ValueKind: JsonValueKind.Number } e => TryTime(member, e.GetRawText(), out timeMs, out problem),
            { ValueKind: JsonValueKind.String } e => TryTime(member, e.GetString(), out timeMs, out problem),
            _ => Fail(member, "must be epoch milliseconds or an ISO-8601 string", out timeMs, out problem),
        };

    public static bool TryInt(string parameter, string? text, int min, int max, out int? value, [NotNullWhen(false)] out IResult? problem)
    {
        value = null;
        problem = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max)
        {
            value = n;
            return true;
        }

        problem = Problems.Problems.BadParameter(parameter, $"{parameter}: '{text}' is not a whole number from {min} to {max}");
        return false;
    }

    private static bool Fail(string member, string rule, out long? timeMs, out IResult? problem)
    {
        timeMs = null;
        problem = Problems.Problems.BadParameter(member, $"{member} {rule}");
        return false;
    }
}
