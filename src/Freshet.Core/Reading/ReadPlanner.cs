using Freshet.Aggregation;
using Freshet.Features;
using Freshet.Seams;
using Freshet.Time;

namespace Freshet.Reading;

/// <summary>
/// The pure part of answering a read, shared by every <see cref="IFeatureReader"/>: resolving names and keys against
/// the catalog, checking windows and times, and the maths of derived features (ratio with a Beta prior, trend). No I/O
/// and no state: a reader brings the clock and the tile values (its shards, or values published elsewhere).
/// </summary>
public static class ReadPlanner
{
    /// <summary>Most points one series or profile read may merge.</summary>
    public const int MaxBuckets = 20_000;

    public static bool TryResolveEntity(FeatureCatalog catalog, string name, out CompiledEntity entity, out ReadFailure failure)
    {
        if (catalog.TryGetEntity(name, out entity!))
        {
            failure = default;
            return true;
        }

        failure = new ReadFailure(ReadStatus.UnknownEntity,
            $"unknown entity '{name}'; known entities: {string.Join(", ", catalog.Entities.Select(e => e.Name))}");
        return false;
    }

    /// <summary>Resolves a feature by name; with <paramref name="entity"/>, it must be one of that entity's.</summary>
    public static bool TryResolveFeature(FeatureCatalog catalog, string name, CompiledEntity? entity, out CompiledFeature feature, out ReadFailure failure)
    {
        if (!catalog.TryGetFeature(name, out feature!))
        {
            var known = catalog.Features.Where(f => entity is null || f.Entity == entity).Select(f => f.Name);
            failure = new ReadFailure(ReadStatus.UnknownFeature,
                $"unknown feature '{name}'; known features{(entity is null ? "" : $" of '{entity.Name}'")}: {string.Join(", ", known)}");
            return false;
        }

        if (entity is not null && feature.Entity != entity)
        {
            failure = new ReadFailure(ReadStatus.UnknownFeature, $"feature '{name}' is keyed by '{feature.Entity.Name}', not '{entity.Name}'");
            return false;
        }

        failure = default;
        return true;
    }

    /// <summary>Resolves a key of <paramref name="entity"/>; a key never seen resolves to id 0 (it reads as no events).</summary>
    public static bool TryResolveKey(CompiledEntity entity, IReadOnlyList<string> key, out ReadTarget target, out ReadFailure failure)
    {
        int expected = entity.Definition.KeyFields.Length;
        if (key.Count != expected)
        {
            target = default;
            failure = new ReadFailure(ReadStatus.BadKey, expected == 0
                ? $"entity '{entity.Name}' is global and takes no key"
                : $"entity '{entity.Name}' is keyed by [{string.Join(", ", entity.Definition.KeyFields)}]: give {expected} key part(s), not {key.Count}");
            return false;
        }

        target = new ReadTarget(entity, key, entity.TryResolve(key, out int keyId, out ulong hash) ? keyId : 0, hash);
        failure = default;
        return true;
    }

    /// <summary>
    /// The time a read is answered at: <paramref name="asOfMs"/>, or now. <paramref name="nowMs"/> is the reader's clock
    /// (<see cref="long.MinValue"/> before the first event, when <paramref name="wallMs"/> stands in: every window is empty).
    /// </summary>
    public static bool TryResolveAt(long? asOfMs, long nowMs, long wallMs, out long atMs, out ReadFailure failure)
    {
        long now = NowOr(nowMs, asOfMs ?? wallMs);
        failure = default;
        if (asOfMs is not { } at)
        {
            atMs = now;
            return true;
        }

        if (at > now)
        {
            atMs = 0;
            failure = new ReadFailure(ReadStatus.OutOfRange, $"as-of time {TimeMath.FormatUtc(at, "?")} is after now ({TimeMath.FormatUtc(now, "?")})");
            return false;
        }

        atMs = at;
        return true;
    }

    /// <summary>The reader's clock, or <paramref name="fallbackMs"/> before the first event.</summary>
    public static long NowOr(long nowMs, long fallbackMs) => nowMs == long.MinValue ? fallbackMs : nowMs;

    /// <summary>Whether <paramref name="windowMs"/> is a window <paramref name="feature"/> can answer: a multiple of its finest tile within retention.</summary>
    public static bool TryCheckWindow(CompiledFeature feature, long windowMs, out ReadFailure failure)
    {
        long finest = feature.Ladder.FinestMs;
        if (windowMs <= 0 || windowMs % finest != 0 || windowMs > feature.Ladder.RetentionMs)
        {
            failure = new ReadFailure(ReadStatus.BadWindow,
                $"window {Duration.Format(windowMs)} is not valid for feature '{feature.Name}': it must be a multiple of {Duration.Format(finest)} and at most {Duration.Format(feature.Ladder.RetentionMs)}");
            return false;
        }

        failure = default;
        return true;
    }

    /// <summary>The answer when a window read at <paramref name="atMs"/> starts before the oldest tile its feature keeps.</summary>
    public static ReadFailure TooOld(in WindowRead read, long atMs) => new(ReadStatus.OutOfRange,
        $"window {Duration.Format(read.WindowMs)} at {TimeMath.FormatUtc(atMs, "?")} starts before the oldest tile of feature '{read.Feature.Name}' (tiles: {read.Feature.Ladder})");

    /// <summary>The answer when the tiles of <paramref name="feature"/> are not there to read (a catalog swap is in progress).</summary>
    public static ReadFailure NotLoaded(CompiledFeature feature) => new(ReadStatus.Unavailable,
        $"feature '{feature.Name}' is not in the catalog the tiles run yet (a catalog swap is in progress); retry");

    /// <summary>Ratio with a Beta prior: (numerator + α) / (denominator + α + β).</summary>
    public static FeatureValue Ratio(FeatureDefinition d, FeatureValue numerator, FeatureValue denominator)
    {
        double den = denominator.Number + d.PriorAlpha + d.PriorBeta;
        return den > 0 ? FeatureValue.Of((numerator.Number + d.PriorAlpha) / den) : FeatureValue.Missing;
    }

    /// <summary>Trend = (rate in the short window) / (rate in the long window), both smoothed by the same pseudo-count.</summary>
    public static FeatureValue Trend(FeatureDefinition d, FeatureValue recent, FeatureValue baseline)
    {
        double shortRate = (recent.Number + (d.Smoothing * d.ShortWindowMs / d.LongWindowMs)) / d.ShortWindowMs;
        double longRate = (baseline.Number + d.Smoothing) / d.LongWindowMs;
        return longRate > 0 ? FeatureValue.Of(shortRate / longRate) : FeatureValue.Missing;
    }
}
