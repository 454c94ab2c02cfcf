using System.Buffers;
using Freshet.Aggregation;
using Freshet.Reading;
using Freshet.Engine.Shards;
using Freshet.Features;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Engine;

/// <summary>Reads: feature vectors (with derived ratio and trend), series and profiles.</summary>
public sealed partial class FreshetEngine
{
    /// <summary>Most points one series or profile query may merge.</summary>
    public const int MaxQueryBuckets = 20_000;

    /// <summary>Feature values of one key. Unknown keys answer like keys with no events (count 0, mean missing).</summary>
    public FeatureVector GetVector(string entityName, IReadOnlyList<string> key, VectorQuery? query = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = Strings.EnterRead();
        query ??= new VectorQuery();
        var catalog = Catalog;
        var entity = ResolveEntity(catalog, entityName);
        var target = ResolveKey(entity, key);
        IReadOnlyList<CompiledFeature> features = query.Features is null
            ? catalog.FeaturesOf(entity)
            : query.Features.Select(name => ResolveFeature(catalog, name, entity)).ToList();
        long at = ResolveAt(query.AsOfMs);

        // Each reading is one or two windows of base features (a ratio reads numerator and denominator, a trend its
        // source over two windows). Plan them all, then read them from the key's shard in one go.
        int count = 0, readingCount = 0;
        foreach (var feature in features)
        {
            var d = feature.Definition;
            int windows = d.Aggregation == AggregationKind.Trend ? 1 : (query.WindowsMs ?? d.WindowsMs).Count;
            readingCount += windows;
            count += d.Aggregation is AggregationKind.Trend or AggregationKind.Ratio ? 2 * windows : windows;
        }

        var reads = ArrayPool<WindowRead>.Shared.Rent(count);
        try
        {
            int n = 0;
            foreach (var feature in features)
            {
                var d = feature.Definition;
                if (d.Aggregation == AggregationKind.Trend)
                {
                    reads[n++] = BaseRead(feature.Numerator!, d.ShortWindowMs);
                    reads[n++] = BaseRead(feature.Numerator!, d.LongWindowMs);
                    continue;
                }

                foreach (long window in query.WindowsMs ?? d.WindowsMs)
                {
                    if (d.Aggregation == AggregationKind.Ratio)
                    {
                        reads[n++] = BaseRead(feature.Numerator!, window);
                        reads[n++] = BaseRead(feature.Denominator!, window);
                    }
                    else
                    {
                        reads[n++] = BaseRead(feature, window);
                    }
                }
            }

            ReadWindows(target, reads.AsSpan(0, n), at, query.PlanAsOf && query.AsOfMs is not null);
            var readings = new FeatureReading[readingCount];
            int r = 0;
            n = 0;
            foreach (var feature in features)
            {
                var d = feature.Definition;
                if (d.Aggregation == AggregationKind.Trend)
                {
                    readings[r++] = TrendReading(feature, reads[n], reads[n + 1]);
                    n += 2;
                    continue;
                }

                foreach (long window in query.WindowsMs ?? d.WindowsMs)
                {
                    string label = feature.WindowLabel(window);
                    if (d.Aggregation == AggregationKind.Ratio)
                    {
                        var numerator = reads[n++];
                        var denominator = reads[n++];
                        readings[r++] = new FeatureReading(feature.Name, label, window, RatioValue(d, numerator.Value, denominator.Value), denominator.Span.FromMs, denominator.Span.ToMs);
                    }
                    else
                    {
                        var read = reads[n++];
                        readings[r++] = new FeatureReading(feature.Name, label, window, read.Value, read.Span.FromMs, read.Span.ToMs);
                    }
                }
            }

            return new FeatureVector(entity.Name, entity.Describe(target.KeyId), at, target.KeyId != 0, readings);
        }
        finally
        {
            ArrayPool<WindowRead>.Shared.Return(reads, clearArray: true);
        }
    }

    /// <summary>A feature bucket by bucket over <c>[from, to)</c>; by default hour by hour over the last 7 days.</summary>
    public FeatureSeries GetSeries(string featureName, IReadOnlyList<string> key, long resolutionMs = Duration.Hour, long? fromMs = null, long? toMs = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = Strings.EnterRead();
        var catalog = Catalog;
        var feature = ResolveFeature(catalog, featureName, null);
        var target = ResolveKey(feature.Entity, key);
        var baseFeature = RequireSeriesSupport(feature, resolutionMs);
        long now = ResolveAt(null);
        long to = toMs is { } t ? TimeMath.FloorTo(t, resolutionMs) : TimeMath.FloorTo(now, resolutionMs) + resolutionMs;
        // Without a start: the last 7 days, shortened to what the feature keeps at this resolution (minute tiles may be
        // kept for hours only) and to the buckets one query may return, so the default always answers.
        long from = fromMs is { } f
            ? TimeMath.FloorTo(f, resolutionMs)
            : Math.Max(to - (7 * Duration.Day), Math.Max(FirstAnswerable(baseFeature, resolutionMs, now), to - (MaxQueryBuckets * resolutionMs)));
        int count = CheckRange(baseFeature, resolutionMs, from, to, now);
        var spans = new WindowSpan[count];
        var slots = new int[count];
        for (int i = 0; i < count; i++)
        {
            spans[i] = new WindowSpan(from + (i * resolutionMs), from + ((i + 1) * resolutionMs));
            slots[i] = i;
        }

        var values = ReadSlots(feature, target, spans, slots, count, now);
        var points = new SeriesPoint[count];
        for (int i = 0; i < count; i++)
        {
            points[i] = new SeriesPoint(spans[i].FromMs, values[i]);
        }

        return new FeatureSeries(feature.Name, feature.Entity.Describe(target.KeyId), resolutionMs, points);
    }

    /// <summary>
    /// A feature folded by hour of day (over the last <paramref name="days"/> days, default 7) or day of week
    /// (default 28 days). Days are UTC and include today so far.
    /// </summary>
    public FeatureProfile GetProfile(string featureName, IReadOnlyList<string> key, ProfileKind kind, int? days = null)
    {
        // Strings of ids freed while this reads (a key, top-k items) stay readable until it is done.
        using var reading = Strings.EnterRead();
        var catalog = Catalog;
        var feature = ResolveFeature(catalog, featureName, null);
        var target = ResolveKey(feature.Entity, key);
        long bucket = kind == ProfileKind.HourOfDay ? Duration.Hour : Duration.Day;
        var baseFeature = RequireSeriesSupport(feature, bucket);
        int span = days ?? (kind == ProfileKind.HourOfDay ? 7 : 28);
        if (span is < 1 or > 366)
        {
            throw new QueryException(QueryError.OutOfRange, $"a profile covers 1 to 366 days; {span} was asked");
        }

        long now = ResolveAt(null);
        long to = TimeMath.FloorTo(now, Duration.Day) + Duration.Day;
        long from = to - (span * Duration.Day);
        int count = CheckRange(baseFeature, bucket, Math.Max(from, FirstAnswerable(baseFeature, bucket, now)), to, now);
        from = to - (count * bucket);
        var spans = new WindowSpan[count];
        var slots = new int[count];
        for (int i = 0; i < count; i++)
        {
            long start = from + (i * bucket);
            spans[i] = new WindowSpan(start, start + bucket);
            slots[i] = kind == ProfileKind.HourOfDay
                ? (int)(TimeMath.FloorDiv(start, Duration.Hour) % 24 + 24) % 24
                : (int)((TimeMath.FloorDiv(start, Duration.Day) + 3) % 7 + 7) % 7; // 1970-01-01 was a Thursday (index 3).
        }

        var values = ReadSlots(feature, target, spans, slots, kind == ProfileKind.HourOfDay ? 24 : 7, now);
        return new FeatureProfile(feature.Name, feature.Entity.Describe(target.KeyId), kind, from, to, values);
    }

    /// <summary>A window of a base feature to read, checked against its ladder.</summary>
    private static WindowRead BaseRead(CompiledFeature feature, long windowMs)
    {
        CheckWindow(feature, windowMs);
        return new WindowRead(feature, windowMs);
    }

    /// <summary>Reads planned windows of one key from its shard; refuses the query if any window starts before every tile its feature keeps.</summary>
    private void ReadWindows(KeyTarget target, Span<WindowRead> reads, long at, bool planAsOf = false)
    {
        int failed = ShardFor(target).ReadWindows(reads, target.KeyId, at, ResolveAt(null), planAsOf);
        if (failed >= 0)
        {
            var read = reads[failed];
            throw new QueryException(QueryError.OutOfRange,
                $"window {Duration.Format(read.WindowMs)} at {TimeMath.FormatUtc(at, "?")} starts before the oldest tile of feature '{read.Feature.Name}' (tiles: {read.Feature.Ladder})");
        }
    }

    /// <summary>Ratio with a Beta prior: (numerator + α) / (denominator + α + β).</summary>
    private static FeatureValue RatioValue(FeatureDefinition d, FeatureValue numerator, FeatureValue denominator)
    {
        double den = denominator.Number + d.PriorAlpha + d.PriorBeta;
        return den > 0 ? FeatureValue.Of((numerator.Number + d.PriorAlpha) / den) : FeatureValue.Missing;
    }

    /// <summary>Trend = (rate in the short window) / (rate in the long window), both smoothed by the same pseudo-count.</summary>
    private static FeatureReading TrendReading(CompiledFeature feature, WindowRead recent, WindowRead baseline)
    {
        var d = feature.Definition;
        double shortRate = (recent.Value.Number + (d.Smoothing * d.ShortWindowMs / d.LongWindowMs)) / d.ShortWindowMs;
        double longRate = (baseline.Value.Number + d.Smoothing) / d.LongWindowMs;
        var value = longRate > 0 ? FeatureValue.Of(shortRate / longRate) : FeatureValue.Missing;
        return new FeatureReading(feature.Name, $"{Duration.Format(d.ShortWindowMs)}/{Duration.Format(d.LongWindowMs)}",
            d.ShortWindowMs, value, baseline.Span.FromMs, baseline.Span.ToMs);
    }

    private FeatureValue[] ReadSlots(CompiledFeature feature, KeyTarget target, WindowSpan[] spans, int[] slotOfSpan, int slotCount, long now)
    {
        var shard = ShardFor(target);
        if (feature.Definition.Aggregation != AggregationKind.Ratio)
        {
            var values = new FeatureValue[slotCount];
            shard.ReadGrouped(feature, target.KeyId, spans, slotOfSpan, now, values);
            return values;
        }

        var numerators = ReadSlots(feature.Numerator!, target, spans, slotOfSpan, slotCount, now);
        var denominators = ReadSlots(feature.Denominator!, target, spans, slotOfSpan, slotCount, now);
        return numerators.Zip(denominators, (n, d) => RatioValue(feature.Definition, n, d)).ToArray();
    }

    private readonly record struct KeyTarget(int KeyId, ulong RouteHash);

    private Shard ShardFor(KeyTarget target) => _shards[(int)(((target.RouteHash >> 32) * (ulong)_shards.Length) >> 32)];

    private long ResolveAt(long? asOfMs)
    {
        long now = NowMs;
        if (now == long.MinValue)
        {
            now = asOfMs ?? WallMs; // Nothing ingested yet: every window is empty.
        }

        if (asOfMs is not { } at)
        {
            return now;
        }

        if (at > now)
        {
            throw new QueryException(QueryError.OutOfRange, $"as-of time {TimeMath.FormatUtc(at, "?")} is after now ({TimeMath.FormatUtc(now, "?")})");
        }

        return at;
    }

    private static CompiledEntity ResolveEntity(FeatureCatalog catalog, string name) =>
        catalog.TryGetEntity(name, out var entity)
            ? entity
            : throw new QueryException(QueryError.UnknownEntity,
                $"unknown entity '{name}'; known entities: {string.Join(", ", catalog.Entities.Select(e => e.Name))}");

    private static CompiledFeature ResolveFeature(FeatureCatalog catalog, string name, CompiledEntity? entity)
    {
        if (!catalog.TryGetFeature(name, out var feature))
        {
            var known = catalog.Features.Where(f => entity is null || f.Entity == entity).Select(f => f.Name);
            throw new QueryException(QueryError.UnknownFeature, $"unknown feature '{name}'; known features{(entity is null ? "" : $" of '{entity.Name}'")}: {string.Join(", ", known)}");
        }

        if (entity is not null && feature.Entity != entity)
        {
            throw new QueryException(QueryError.UnknownFeature, $"feature '{name}' is keyed by '{feature.Entity.Name}', not '{entity.Name}'");
        }

        return feature;
    }

    private KeyTarget ResolveKey(CompiledEntity entity, IReadOnlyList<string> key)
    {
        int expected = entity.Definition.KeyFields.Length;
        if (key.Count != expected)
        {
            throw new QueryException(QueryError.BadKey, expected == 0
                ? $"entity '{entity.Name}' is global and takes no key"
                : $"entity '{entity.Name}' is keyed by [{string.Join(", ", entity.Definition.KeyFields)}]: give {expected} key part(s), not {key.Count}");
        }

        return entity.TryResolve(key, out int keyId, out ulong hash) ? new KeyTarget(keyId, hash) : new KeyTarget(0, hash);
    }

    private static void CheckWindow(CompiledFeature feature, long windowMs)
    {
        long finest = feature.Ladder.FinestMs;
        if (windowMs <= 0 || windowMs % finest != 0 || windowMs > feature.Ladder.RetentionMs)
        {
            throw new QueryException(QueryError.BadWindow,
                $"window {Duration.Format(windowMs)} is not valid for feature '{feature.Name}': it must be a multiple of {Duration.Format(finest)} and at most {Duration.Format(feature.Ladder.RetentionMs)}");
        }
    }

    private static CompiledFeature RequireSeriesSupport(CompiledFeature feature, long resolutionMs)
    {
        var baseFeature = feature.Definition.Aggregation switch
        {
            AggregationKind.Trend => throw new QueryException(QueryError.NotSupported, $"feature '{feature.Name}' is a trend (a ratio of two windows) and has no series or profile"),
            AggregationKind.Ratio => feature.Denominator!,
            _ => feature,
        };
        if (resolutionMs <= 0 || resolutionMs % baseFeature.Ladder.FinestMs != 0)
        {
            throw new QueryException(QueryError.BadWindow,
                $"resolution {Duration.Format(resolutionMs)} is not a multiple of the finest tile of feature '{feature.Name}' ({Duration.Format(baseFeature.Ladder.FinestMs)})");
        }

        return baseFeature;
    }

    /// <summary>The oldest bucket start a series at <paramref name="resolutionMs"/> can still answer exactly.</summary>
    private static long FirstAnswerable(CompiledFeature feature, long resolutionMs, long now)
    {
        var ladder = feature.Ladder;
        long keep = 0;
        for (int level = 0; level < ladder.Count && ladder.ResolutionMs(level) <= resolutionMs; level++)
        {
            keep = Math.Max(keep, ladder.KeepMs(level));
        }

        return TimeMath.FloorTo(now - keep, resolutionMs) + resolutionMs;
    }

    private static int CheckRange(CompiledFeature feature, long resolutionMs, long from, long to, long now)
    {
        long oldest = FirstAnswerable(feature, resolutionMs, now);
        if (from < oldest)
        {
            throw new QueryException(QueryError.OutOfRange,
                $"feature '{feature.Name}' keeps {Duration.Format(resolutionMs)} buckets back to {TimeMath.FormatUtc(oldest, "?")}; {TimeMath.FormatUtc(from, "?")} is older (tiles: {feature.Ladder})");
        }

        long count = to > from ? (to - from) / resolutionMs : 0;
        if (count > MaxQueryBuckets)
        {
            throw new QueryException(QueryError.OutOfRange, $"{count} buckets asked; at most {MaxQueryBuckets} per query");
        }

        return (int)count;
    }
}
