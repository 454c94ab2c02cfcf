using Freshet.Aggregation;

namespace Freshet.Reading;

/// <summary>Which features, windows and time a vector query asks for; nulls mean "all declared" and "now".</summary>
public sealed record VectorQuery
{
    public IReadOnlyList<string>? Features { get; init; }

    /// <summary>Windows to answer instead of each feature's declared ones (any multiple of the finest resolution within retention).</summary>
    public IReadOnlyList<long>? WindowsMs { get; init; }

    public long? AsOfMs { get; init; }

    /// <summary>
    /// Answer as of <see cref="AsOfMs"/> as the engine would have answered then, whatever it has ingested since: the
    /// windows are planned with now = AsOfMs (which resolution serves each edge) from tiles closed by then (AsOfMs
    /// minus the allowed lateness) and finer ones after, never from the open coarse tiles that collect later children.
    /// Tiles are only there if retention has not dropped them since: a reader that lags behind the stream holds them
    /// by holding retention (the embedded engine's <c>HoldRetention</c>). Events ingested later but timed before AsOfMs (out of order,
    /// within the allowed lateness) still count when they arrive before the read.
    /// </summary>
    public bool PlanAsOf { get; init; }
}

/// <summary>
/// One feature value for one window. <see cref="FromMs"/>/<see cref="ToMs"/> is the interval actually summed after
/// edge rounding (see docs/WINDOWS.md).
/// </summary>
public sealed record FeatureReading(string Feature, string Window, long WindowMs, FeatureValue Value, long FromMs, long ToMs);

/// <summary>The feature values of one key at one time.</summary>
public sealed record FeatureVector(string Entity, string Key, long AtMs, bool KnownKey, IReadOnlyList<FeatureReading> Readings)
{
    public FeatureReading? Find(string feature, string window) =>
        Readings.FirstOrDefault(r => r.Feature == feature && r.Window == window);
}

/// <summary>One bucket of a series.</summary>
public sealed record SeriesPoint(long StartMs, FeatureValue Value);

/// <summary>A feature bucket by bucket (for example hour by hour over the last 7 days), oldest first.</summary>
public sealed record FeatureSeries(string Feature, string Key, long ResolutionMs, IReadOnlyList<SeriesPoint> Points);

/// <summary>The shape of a profile.</summary>
public enum ProfileKind
{
    /// <summary>24 slots, 00:00–01:00 UTC first.</summary>
    HourOfDay,
    /// <summary>7 slots, Monday first (ISO 8601), days in UTC.</summary>
    DayOfWeek,
}

/// <summary>A feature folded by hour of day or day of week over <c>[FromMs, ToMs)</c>: each slot merges every matching bucket.</summary>
public sealed record FeatureProfile(string Feature, string Key, ProfileKind Kind, long FromMs, long ToMs, IReadOnlyList<FeatureValue> Slots);
