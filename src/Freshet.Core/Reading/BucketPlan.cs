using Freshet.Aggregation;
using Freshet.Features;
using Freshet.Seams;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Reading;

/// <summary>
/// A series or profile read planned for one feature: the buckets to merge (<see cref="Spans"/>), the slot each one
/// feeds (a profile folds many days into one hour-of-day slot), and the base features to read them from (a ratio reads
/// its numerator and denominator). A reader merges each source's buckets into the slots from its tiles and
/// <see cref="Combine"/> derives the values.
/// </summary>
public sealed class BucketPlan
{
    private BucketPlan(CompiledFeature feature, CompiledFeature[] sources, long nowMs, long resolutionMs, long fromMs, long toMs, WindowSpan[] spans,
        int[] slotOfSpan, int slotCount)
    {
        Feature = feature;
        Sources = sources;
        NowMs = nowMs;
        ResolutionMs = resolutionMs;
        FromMs = fromMs;
        ToMs = toMs;
        Spans = spans;
        SlotOfSpan = slotOfSpan;
        SlotCount = slotCount;
    }

    public CompiledFeature Feature { get; }

    /// <summary>The base features to read: the feature itself, or a ratio's numerator and denominator.</summary>
    public IReadOnlyList<CompiledFeature> Sources { get; }

    /// <summary>The reader's now the plan was made with; values are finished as of it.</summary>
    public long NowMs { get; }

    public long ResolutionMs { get; }

    public long FromMs { get; }

    public long ToMs { get; }

    public IReadOnlyList<WindowSpan> Spans { get; }

    public IReadOnlyList<int> SlotOfSpan { get; }

    public int SlotCount { get; }

    /// <summary>
    /// <paramref name="feature"/> bucket by bucket at <paramref name="resolutionMs"/> over [from, to): by default the
    /// last 7 days, shortened to what the feature keeps at this resolution and to <see cref="ReadPlanner.MaxBuckets"/>.
    /// </summary>
    public static ReadResult<BucketPlan> Series(CompiledFeature feature, long resolutionMs, long? fromMs, long? toMs, long nowMs, long wallMs)
    {
        if (!TryBaseOf(feature, resolutionMs, out var baseFeature, out var failure))
        {
            return failure;
        }

        long now = ReadPlanner.NowOr(nowMs, wallMs);
        long to = toMs is { } t ? TimeMath.FloorTo(t, resolutionMs) : TimeMath.FloorTo(now, resolutionMs) + resolutionMs;
        // Without a start: the last 7 days, shortened to what the feature keeps at this resolution (minute tiles may be
        // kept for hours only) and to the buckets one query may return, so the default always answers.
        long from = fromMs is { } f
            ? TimeMath.FloorTo(f, resolutionMs)
            : Math.Max(to - (7 * Duration.Day), Math.Max(FirstAnswerable(baseFeature, resolutionMs, now), to - (ReadPlanner.MaxBuckets * resolutionMs)));
        if (!TryCount(baseFeature, resolutionMs, from, to, now, out int count, out failure))
        {
            return failure;
        }

        var spans = new WindowSpan[count];
        var slots = new int[count];
        for (int i = 0; i < count; i++)
        {
            spans[i] = new WindowSpan(from + (i * resolutionMs), from + ((i + 1) * resolutionMs));
            slots[i] = i;
        }

        return ReadResult<BucketPlan>.Ok(new BucketPlan(feature, SourcesOf(feature), now, resolutionMs, from, to, spans, slots, count));
    }

    /// <summary>
    /// <paramref name="feature"/> folded by hour of day (over the last <paramref name="days"/> days, default 7) or day of
    /// week (default 28 days). Days are UTC and include today so far.
    /// </summary>
    public static ReadResult<BucketPlan> Profile(CompiledFeature feature, ProfileKind kind, int? days, long nowMs, long wallMs)
    {
        long bucket = kind == ProfileKind.HourOfDay ? Duration.Hour : Duration.Day;
        if (!TryBaseOf(feature, bucket, out var baseFeature, out var failure))
        {
            return failure;
        }

        int span = days ?? (kind == ProfileKind.HourOfDay ? 7 : 28);
        if (span is < 1 or > 366)
        {
            return new ReadFailure(ReadStatus.OutOfRange, $"a profile covers 1 to 366 days; {span} was asked");
        }

        long now = ReadPlanner.NowOr(nowMs, wallMs);
        long to = TimeMath.FloorTo(now, Duration.Day) + Duration.Day;
        long from = to - (span * Duration.Day);
        if (!TryCount(baseFeature, bucket, Math.Max(from, FirstAnswerable(baseFeature, bucket, now)), to, now, out int count, out failure))
        {
            return failure;
        }

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

        return ReadResult<BucketPlan>.Ok(new BucketPlan(feature, SourcesOf(feature), now, bucket, from, to, spans, slots, kind == ProfileKind.HourOfDay ? 24 : 7));
    }

    /// <summary>The feature's slot values from each source's (<see cref="Sources"/>, in order) merged slots.</summary>
    public FeatureValue[] Combine(IReadOnlyList<FeatureValue[]> sourceSlots)
    {
        if (Feature.Definition.Aggregation != AggregationKind.Ratio)
        {
            return sourceSlots[0];
        }

        var values = new FeatureValue[SlotCount];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = ReadPlanner.Ratio(Feature.Definition, sourceSlots[0][i], sourceSlots[1][i]);
        }

        return values;
    }

    /// <summary>The series of <paramref name="target"/> from its slot values (one per bucket).</summary>
    public FeatureSeries ToSeries(ReadTarget target, FeatureValue[] values)
    {
        var points = new SeriesPoint[Spans.Count];
        for (int i = 0; i < points.Length; i++)
        {
            points[i] = new SeriesPoint(Spans[i].FromMs, values[i]);
        }

        return new FeatureSeries(Feature.Name, target.Describe(), ResolutionMs, points);
    }

    /// <summary>The profile of <paramref name="target"/> from its slot values.</summary>
    public FeatureProfile ToProfile(ReadTarget target, ProfileKind kind, FeatureValue[] values) =>
        new(Feature.Name, target.Describe(), kind, FromMs, ToMs, values);

    private static CompiledFeature[] SourcesOf(CompiledFeature feature) =>
        feature.Definition.Aggregation == AggregationKind.Ratio ? [feature.Numerator!, feature.Denominator!] : [feature];

    /// <summary>The base feature whose tiles decide what a series at <paramref name="resolutionMs"/> can answer.</summary>
    private static bool TryBaseOf(CompiledFeature feature, long resolutionMs, out CompiledFeature baseFeature, out ReadFailure failure)
    {
        failure = default;
        switch (feature.Definition.Aggregation)
        {
            case AggregationKind.Trend:
                baseFeature = feature;
                failure = new ReadFailure(ReadStatus.NotSupported, $"feature '{feature.Name}' is a trend (a ratio of two windows) and has no series or profile");
                return false;
            case AggregationKind.Ratio:
                baseFeature = feature.Denominator!;
                break;
            default:
                baseFeature = feature;
                break;
        }

        if (resolutionMs <= 0 || resolutionMs % baseFeature.Ladder.FinestMs != 0)
        {
            failure = new ReadFailure(ReadStatus.BadWindow,
                $"resolution {Duration.Format(resolutionMs)} is not a multiple of the finest tile of feature '{feature.Name}' ({Duration.Format(baseFeature.Ladder.FinestMs)})");
            return false;
        }

        return true;
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

    private static bool TryCount(CompiledFeature feature, long resolutionMs, long from, long to, long now, out int count, out ReadFailure failure)
    {
        count = 0;
        long oldest = FirstAnswerable(feature, resolutionMs, now);
        if (from < oldest)
        {
            failure = new ReadFailure(ReadStatus.OutOfRange,
                $"feature '{feature.Name}' keeps {Duration.Format(resolutionMs)} buckets back to {TimeMath.FormatUtc(oldest, "?")}; {TimeMath.FormatUtc(from, "?")} is older (tiles: {feature.Ladder})");
            return false;
        }

        long buckets = to > from ? (to - from) / resolutionMs : 0;
        if (buckets > ReadPlanner.MaxBuckets)
        {
            failure = new ReadFailure(ReadStatus.OutOfRange, $"{buckets} buckets asked; at most {ReadPlanner.MaxBuckets} per query");
            return false;
        }

        failure = default;
        count = (int)buckets;
        return true;
    }
}
