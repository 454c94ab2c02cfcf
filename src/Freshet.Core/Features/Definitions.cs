using System.Collections.Immutable;
using Freshet.Windows;

namespace Freshet.Features;

/// <summary>How "now" is decided for windows, lateness and retention (see DESIGN.md, "Clock").</summary>
public enum ClockMode
{
    /// <summary>Now is the largest event time seen: for replaying and backtesting historical logs.</summary>
    EventTime,
    /// <summary>Now is the wall clock (<see cref="TimeProvider"/>): for live traffic.</summary>
    Wall,
}

/// <summary>The aggregations a feature can declare. YAML names are snake_case (<c>last_k</c>, <c>decayed_sum</c>).</summary>
public enum AggregationKind
{
    Count,
    Sum,
    Mean,
    Min,
    Max,
    Variance,
    StdDev,
    Last,
    LastK,
    Distinct,
    TopK,
    DecayedSum,
    /// <summary>Derived: smoothed ratio of two count/sum features with a Beta(alpha, beta) prior.</summary>
    Ratio,
    /// <summary>Derived: rate in a short window over rate in a long window of one count/sum feature.</summary>
    Trend,
}

/// <summary>Comparison a filter applies to one field.</summary>
public enum FilterOp
{
    Eq,
    Ne,
    In,
    NotIn,
    Gt,
    Gte,
    Lt,
    Lte,
    Exists,
}

/// <summary>A literal in a filter: a string or a number (exactly one is set; neither for <see cref="FilterOp.Exists"/>).</summary>
public readonly record struct FilterLiteral(string? Text, double? Number)
{
    public static FilterLiteral Of(string text) => new(text, null);

    public static FilterLiteral Of(double number) => new(null, number);

    public override string ToString() => Text ?? Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
}

/// <summary>One condition of a feature's filter; all conditions of a feature must hold (logical AND).</summary>
public sealed record FilterCondition(string Field, FilterOp Op, ImmutableArray<FilterLiteral> Values);

/// <summary>Catalog-wide settings.</summary>
public sealed record CatalogSettings
{
    public ClockMode Clock { get; init; } = ClockMode.EventTime;

    /// <summary>How far behind now an event may be and still be placed in its tile.</summary>
    public long AllowedLatenessMs { get; init; } = 10 * Time.Duration.Minute;

    /// <summary>How far ahead of now (and of the wall clock) an event may be before it is rejected as far-future.</summary>
    public long MaxFutureMs { get; init; } = 5 * Time.Duration.Minute;

    /// <summary>The default tile ladder, finest first.</summary>
    public ImmutableArray<TileLevel> Tiles { get; init; } =
    [
        new(Time.Duration.Minute, 3 * Time.Duration.Hour),
        new(Time.Duration.Hour, 8 * Time.Duration.Day),
        new(Time.Duration.Day, 35 * Time.Duration.Day),
    ];
}

/// <summary>An entity: what features are keyed by. An empty key list means one global key (site-wide features).</summary>
public sealed record EntityDefinition(string Name, ImmutableArray<string> KeyFields, int Line);

/// <summary>A feature as declared, validated but not yet compiled against an interner.</summary>
public sealed record FeatureDefinition
{
    public required string Name { get; init; }
    public required string Entity { get; init; }
    public required AggregationKind Aggregation { get; init; }
    public string? Description { get; init; }

    /// <summary>Event types the feature consumes; empty for derived features.</summary>
    public ImmutableArray<string> EventTypes { get; init; } = [];
    public ImmutableArray<FilterCondition> Filter { get; init; } = [];

    /// <summary>The aggregated field; null for count (and for decayed_sum counting events).</summary>
    public string? Field { get; init; }

    /// <summary>Windows the feature is served for, in milliseconds, ascending.</summary>
    public ImmutableArray<long> WindowsMs { get; init; } = [];

    /// <summary>The tile ladder for this feature (the catalog default unless overridden).</summary>
    public ImmutableArray<TileLevel> Tiles { get; init; } = [];

    /// <summary>last_k and top_k: how many items are returned.</summary>
    public int K { get; init; }

    /// <summary>top_k: Space-Saving counters kept per tile (at least K).</summary>
    public int Capacity { get; init; }

    /// <summary>decayed_sum: half-life in milliseconds.</summary>
    public long HalfLifeMs { get; init; }

    /// <summary>ratio: numerator and denominator feature names and the Beta prior.</summary>
    public string? Numerator { get; init; }
    public string? Denominator { get; init; }
    public double PriorAlpha { get; init; }
    public double PriorBeta { get; init; }

    /// <summary>trend: the source feature, the short and long windows, and the pseudo-count that smooths both rates.</summary>
    public string? Source { get; init; }
    public long ShortWindowMs { get; init; }
    public long LongWindowMs { get; init; }
    public double Smoothing { get; init; } = 1;

    /// <summary>Line of the feature in its file, for messages.</summary>
    public int Line { get; init; }

    public bool IsDerived => Aggregation is AggregationKind.Ratio or AggregationKind.Trend;
}

/// <summary>A whole definitions file, validated: settings, entities and features in declaration order.</summary>
public sealed record FeatureSet(
    string SourceName,
    string? DeclaredVersion,
    CatalogSettings Settings,
    ImmutableArray<EntityDefinition> Entities,
    ImmutableArray<FeatureDefinition> Features);

/// <summary>One problem in a definitions file: where it is, which feature, and the rule it breaks.</summary>
public sealed record DefinitionError(string File, int Line, int Column, string? Feature, string Message)
{
    public override string ToString() =>
        Feature is null ? $"{File}:{Line}:{Column}: {Message}" : $"{File}:{Line}:{Column}: feature '{Feature}': {Message}";
}

/// <summary>Thrown when a definitions file is invalid; carries every error found, not just the first.</summary>
public sealed class DefinitionException(IReadOnlyList<DefinitionError> errors)
    : Exception(errors.Count == 1 ? errors[0].ToString() : $"{errors.Count} errors in feature definitions:{Environment.NewLine}" + string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<DefinitionError> Errors { get; } = errors;
}
