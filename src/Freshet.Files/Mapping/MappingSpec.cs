using System.Text;

namespace Freshet.Files.Mapping;

/// <summary>How a file is laid out.</summary>
public enum InputFormat
{
    Csv,
    Tsv,
    Ndjson,
}

/// <summary>The unit of numeric times in a file.</summary>
public enum TimeUnit
{
    Milliseconds,
    Seconds,
    Microseconds,
    Nanoseconds,
}

/// <summary><c>--map target=source</c>: the event gets <see cref="Target"/> from the column (or key) <see cref="Source"/>.</summary>
public readonly record struct FieldMap(string Target, string Source);

/// <summary><c>--set target=value</c>: every event gets the same value.</summary>
public readonly record struct FieldConstant(string Target, string Value);

/// <summary><c>--rename-type from=to</c>: an event type value as the file spells it and as it is sent.</summary>
public readonly record struct TypeRename(string From, string To);

/// <summary>
/// How to read a file and turn its rows into events: every option of <c>freshet replay</c> that a preset may set.
/// A preset is nothing more than one of these; <see cref="OverriddenBy"/> lays the user's options over it.
/// </summary>
public sealed record MappingSpec
{
    public InputFormat? Format { get; init; }

    public char? Delimiter { get; init; }

    public bool NoHeader { get; init; }

    public IReadOnlyList<string>? Columns { get; init; }

    public IReadOnlyList<FieldMap> Maps { get; init; } = [];

    public IReadOnlyList<FieldConstant> Sets { get; init; } = [];

    public IReadOnlyList<TypeRename> TypeRenames { get; init; } = [];

    /// <summary>Fields (by the name they are sent under) sent as JSON numbers; everything else is a string.</summary>
    public IReadOnlyList<string> Numbers { get; init; } = [];

    /// <summary>Values that mean "no value" (like NA): the field is left out, as an empty one is.</summary>
    public IReadOnlyList<string> Nulls { get; init; } = [];

    public TimeUnit? TimeUnit { get; init; }

    public string? TimeFormat { get; init; }

    /// <summary>A column of milliseconds added to the time (DIGINETICA: a date plus the offset in the session).</summary>
    public string? TimeOffset { get; init; }

    public bool OnlyMapped { get; init; }

    public bool Sort { get; init; }

    /// <summary>
    /// This spec with <paramref name="explicitOptions"/> laid over it: a single-valued option given explicitly wins; a
    /// <c>--map</c> or <c>--set</c> replaces the preset's for the same target; renames replace by the value renamed;
    /// numbers and nulls add up; flags add up.
    /// </summary>
    public MappingSpec OverriddenBy(MappingSpec explicitOptions)
    {
        var targets = explicitOptions.Maps.Select(m => m.Target).Concat(explicitOptions.Sets.Select(s => s.Target)).ToHashSet(StringComparer.Ordinal);
        var renamed = explicitOptions.TypeRenames.Select(r => r.From).ToHashSet(StringComparer.Ordinal);
        return new MappingSpec
        {
            Format = explicitOptions.Format ?? Format,
            Delimiter = explicitOptions.Delimiter ?? Delimiter,
            NoHeader = explicitOptions.NoHeader || NoHeader,
            Columns = explicitOptions.Columns ?? Columns,
            Maps = [.. Maps.Where(m => !targets.Contains(m.Target)), .. explicitOptions.Maps],
            Sets = [.. Sets.Where(s => !targets.Contains(s.Target)), .. explicitOptions.Sets],
            TypeRenames = [.. TypeRenames.Where(r => !renamed.Contains(r.From)), .. explicitOptions.TypeRenames],
            Numbers = [.. Numbers.Union(explicitOptions.Numbers, StringComparer.Ordinal)],
            Nulls = [.. Nulls.Union(explicitOptions.Nulls, StringComparer.Ordinal)],
            TimeUnit = explicitOptions.TimeUnit ?? TimeUnit,
            TimeFormat = explicitOptions.TimeFormat ?? TimeFormat,
            TimeOffset = explicitOptions.TimeOffset ?? TimeOffset,
            OnlyMapped = explicitOptions.OnlyMapped || OnlyMapped,
            Sort = explicitOptions.Sort || Sort,
        };
    }

    /// <summary>The options that say the same, as a user would type them (shown for presets, so users learn the mapping).</summary>
    public string Describe()
    {
        var s = new StringBuilder();
        void Add(string option, string? value = null)
        {
            s.Append(s.Length == 0 ? "" : " ").Append(option);
            if (value is not null)
            {
                s.Append(' ').Append(Quote(value));
            }
        }

        if (Format is { } format)
        {
            Add("--format", FormatName(format));
        }

        if (Delimiter is { } delimiter)
        {
            Add("--delimiter", delimiter == '\t' ? "tab" : delimiter.ToString());
        }

        if (NoHeader)
        {
            Add("--no-header");
        }

        if (Columns is { } columns)
        {
            Add("--columns", string.Join(',', columns));
        }

        foreach (var map in Maps)
        {
            Add("--map", $"{map.Target}={map.Source}");
        }

        foreach (var set in Sets)
        {
            Add("--set", $"{set.Target}={set.Value}");
        }

        foreach (var rename in TypeRenames)
        {
            Add("--rename-type", $"{rename.From}={rename.To}");
        }

        if (Numbers.Count > 0)
        {
            Add("--numbers", string.Join(',', Numbers));
        }

        foreach (string value in Nulls)
        {
            Add("--null", value);
        }

        if (TimeUnit is { } unit)
        {
            Add("--time-unit", UnitName(unit));
        }

        if (TimeFormat is { } timeFormat)
        {
            Add("--time-format", timeFormat);
        }

        if (TimeOffset is { } offset)
        {
            Add("--time-offset", offset);
        }

        if (OnlyMapped)
        {
            Add("--only-mapped");
        }

        if (Sort)
        {
            Add("--sort");
        }

        return s.ToString();
    }

    public static string FormatName(InputFormat format) => format.ToString().ToLowerInvariant();

    public static string UnitName(TimeUnit unit) => unit switch
    {
        Mapping.TimeUnit.Seconds => "s",
        Mapping.TimeUnit.Microseconds => "us",
        Mapping.TimeUnit.Nanoseconds => "ns",
        _ => "ms",
    };

    public static bool TryParseUnit(string text, out TimeUnit unit)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "ms" or "millis" or "milliseconds":
                unit = Mapping.TimeUnit.Milliseconds;
                return true;
            case "s" or "sec" or "seconds":
                unit = Mapping.TimeUnit.Seconds;
                return true;
            case "us" or "µs" or "micros" or "microseconds":
                unit = Mapping.TimeUnit.Microseconds;
                return true;
            case "ns" or "nanos" or "nanoseconds":
                unit = Mapping.TimeUnit.Nanoseconds;
                return true;
            default:
                unit = default;
                return false;
        }
    }

    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.' or ',' or '=' or ':' or '/')
            ? value
            : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    public override string ToString() => Describe();
}
