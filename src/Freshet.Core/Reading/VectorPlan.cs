using Freshet.Features;
using Freshet.Seams;
using Freshet.Time;

namespace Freshet.Reading;

/// <summary>
/// A vector read planned once for any number of keys of one entity: the features and windows asked, the time it is
/// answered at, and the base windows to read for each key (a ratio reads its numerator and denominator, a trend its
/// source over two windows). A reader fills the windows of a key from its tiles (<see cref="Reads"/> as a template)
/// and <see cref="Compose"/> turns them into the vector, derived values included.
/// </summary>
public sealed class VectorPlan
{
    private readonly IReadOnlyList<CompiledFeature> _features;
    private readonly IReadOnlyList<long>? _windowsMs;
    private readonly WindowRead[] _reads;
    private readonly int _readingCount;

    private VectorPlan(CompiledEntity entity, IReadOnlyList<CompiledFeature> features, IReadOnlyList<long>? windowsMs, long atMs, long nowMs,
        bool planAsOf, WindowRead[] reads, int readingCount)
    {
        Entity = entity;
        _features = features;
        _windowsMs = windowsMs;
        AtMs = atMs;
        NowMs = nowMs;
        PlanAsOf = planAsOf;
        _reads = reads;
        _readingCount = readingCount;
    }

    public CompiledEntity Entity { get; }

    /// <summary>The time every key is read at.</summary>
    public long AtMs { get; }

    /// <summary>The reader's now when planned (the wall clock before the first event): what a shard that has applied nothing plans with.</summary>
    public long NowMs { get; }

    /// <summary>Plan the windows as of <see cref="AtMs"/> (see <see cref="VectorQuery.PlanAsOf"/>).</summary>
    public bool PlanAsOf { get; }

    /// <summary>The base windows to read for one key, in the order <see cref="Compose"/> expects; copy them per key.</summary>
    public ReadOnlySpan<WindowRead> Reads => _reads;

    /// <summary>
    /// Plans <paramref name="query"/> (null: every feature of the entity in its declared windows, now) on
    /// <paramref name="entity"/> with the reader's clock <paramref name="nowMs"/> (<see cref="long.MinValue"/> before the
    /// first event, when <paramref name="wallMs"/> stands in).
    /// </summary>
    public static ReadResult<VectorPlan> Create(FeatureCatalog catalog, CompiledEntity entity, VectorQuery? query, long nowMs, long wallMs)
    {
        query ??= new VectorQuery();
        IReadOnlyList<CompiledFeature> features;
        if (query.Features is null)
        {
            features = catalog.FeaturesOf(entity);
        }
        else
        {
            var named = new CompiledFeature[query.Features.Count];
            for (int i = 0; i < named.Length; i++)
            {
                if (!ReadPlanner.TryResolveFeature(catalog, query.Features[i], entity, out named[i], out var unknown))
                {
                    return unknown;
                }
            }

            features = named;
        }

        if (!ReadPlanner.TryResolveAt(query.AsOfMs, nowMs, wallMs, out long at, out var failure))
        {
            return failure;
        }

        int count = 0, readingCount = 0;
        foreach (var feature in features)
        {
            var d = feature.Definition;
            int windows = d.Aggregation == AggregationKind.Trend ? 1 : (query.WindowsMs ?? d.WindowsMs).Count;
            readingCount += windows;
            count += d.Aggregation is AggregationKind.Trend or AggregationKind.Ratio ? 2 * windows : windows;
        }

        var reads = new WindowRead[count];
        int n = 0;
        foreach (var feature in features)
        {
            var d = feature.Definition;
            if (d.Aggregation == AggregationKind.Trend)
            {
                if (!TryAdd(reads, ref n, feature.Numerator!, d.ShortWindowMs, out failure) || !TryAdd(reads, ref n, feature.Numerator!, d.LongWindowMs, out failure))
                {
                    return failure;
                }

                continue;
            }

            foreach (long window in query.WindowsMs ?? d.WindowsMs)
            {
                bool planned = d.Aggregation == AggregationKind.Ratio
                    ? TryAdd(reads, ref n, feature.Numerator!, window, out failure) && TryAdd(reads, ref n, feature.Denominator!, window, out failure)
                    : TryAdd(reads, ref n, feature, window, out failure);
                if (!planned)
                {
                    return failure;
                }
            }
        }

        var plan = new VectorPlan(entity, features, query.WindowsMs, at, ReadPlanner.NowOr(nowMs, wallMs),
            query.PlanAsOf && query.AsOfMs is not null, reads, readingCount);
        return ReadResult<VectorPlan>.Ok(plan);
    }

    /// <summary>The vector of <paramref name="target"/> from its filled-in <paramref name="reads"/> (a copy of <see cref="Reads"/>).</summary>
    public FeatureVector Compose(ReadTarget target, ReadOnlySpan<WindowRead> reads)
    {
        var readings = new FeatureReading[_readingCount];
        int r = 0, n = 0;
        foreach (var feature in _features)
        {
            var d = feature.Definition;
            if (d.Aggregation == AggregationKind.Trend)
            {
                var baseline = reads[n + 1];
                readings[r++] = new FeatureReading(feature.Name, $"{Duration.Format(d.ShortWindowMs)}/{Duration.Format(d.LongWindowMs)}",
                    d.ShortWindowMs, ReadPlanner.Trend(d, reads[n].Value, baseline.Value), baseline.Span.FromMs, baseline.Span.ToMs);
                n += 2;
                continue;
            }

            foreach (long window in _windowsMs ?? d.WindowsMs)
            {
                string label = feature.WindowLabel(window);
                if (d.Aggregation == AggregationKind.Ratio)
                {
                    var numerator = reads[n++];
                    var denominator = reads[n++];
                    readings[r++] = new FeatureReading(feature.Name, label, window, ReadPlanner.Ratio(d, numerator.Value, denominator.Value),
                        denominator.Span.FromMs, denominator.Span.ToMs);
                }
                else
                {
                    var read = reads[n++];
                    readings[r++] = new FeatureReading(feature.Name, label, window, read.Value, read.Span.FromMs, read.Span.ToMs);
                }
            }
        }

        return new FeatureVector(Entity.Name, target.Describe(), AtMs, target.IsKnown, readings);
    }

    private static bool TryAdd(WindowRead[] reads, ref int n, CompiledFeature feature, long windowMs, out ReadFailure failure)
    {
        if (!ReadPlanner.TryCheckWindow(feature, windowMs, out failure))
        {
            return false;
        }

        reads[n++] = new WindowRead(feature, windowMs);
        return true;
    }
}
