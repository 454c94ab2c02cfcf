using Freshet.Features;
using Freshet.Seams;
using Freshet.Time;

namespace Freshet.Reading;

/// <summary>
/// A vector read planned once for any number of keys of one entity: the features and windows asked, the time it is
/// answered at, and the base windows to read for each key (a ratio reads its numerator and denominator, a trend its
/// source over two windows). A reader lays them out for each key with <see cref="FillReads"/>, fills them in from its
/// tiles, and <see cref="Compose"/> turns them into the vector, derived values included.
/// </summary>
public sealed class VectorPlan
{
    // Every feature in its declared windows, now: what a null query asks (immutable, so shared).
    private static readonly VectorQuery Everything = new();
    private readonly IReadOnlyList<CompiledFeature> _features;
    private readonly IReadOnlyList<long>? _windowsMs;
    private readonly int _readingCount;

    private VectorPlan(CompiledEntity entity, IReadOnlyList<CompiledFeature> features, IReadOnlyList<long>? windowsMs, long atMs, long nowMs,
        bool planAsOf, int readCount, int readingCount)
    {
        Entity = entity;
        _features = features;
        _windowsMs = windowsMs;
        AtMs = atMs;
        NowMs = nowMs;
        PlanAsOf = planAsOf;
        ReadCount = readCount;
        _readingCount = readingCount;
    }

    public CompiledEntity Entity { get; }

    /// <summary>The time every key is read at.</summary>
    public long AtMs { get; }

    /// <summary>The reader's now when planned (the wall clock before the first event): what a shard that has applied nothing plans with.</summary>
    public long NowMs { get; }

    /// <summary>Plan the windows as of <see cref="AtMs"/> (see <see cref="VectorQuery.PlanAsOf"/>).</summary>
    public bool PlanAsOf { get; }

    /// <summary>How many base windows one key reads (the length <see cref="FillReads"/> and <see cref="Compose"/> take).</summary>
    public int ReadCount { get; }

    /// <summary>
    /// Plans <paramref name="query"/> (null: every feature of the entity in its declared windows, now) on
    /// <paramref name="entity"/> with the reader's clock <paramref name="nowMs"/> (<see cref="long.MinValue"/> before the
    /// first event, when <paramref name="wallMs"/> stands in).
    /// </summary>
    public static ReadResult<VectorPlan> Create(FeatureCatalog catalog, CompiledEntity entity, VectorQuery? query, long nowMs, long wallMs)
    {
        query ??= Everything;
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
        for (int f = 0; f < features.Count; f++)
        {
            var feature = features[f];
            var d = feature.Definition;
            int windows = d.Aggregation == AggregationKind.Trend ? 1 : WindowCount(query.WindowsMs, d);
            readingCount += windows;
            count += d.Aggregation is AggregationKind.Trend or AggregationKind.Ratio ? 2 * windows : windows;
        }

        // Check every window now, so laying out the reads of each key later cannot fail.
        for (int f = 0; f < features.Count; f++)
        {
            var feature = features[f];
            var d = feature.Definition;
            if (d.Aggregation == AggregationKind.Trend)
            {
                if (!ReadPlanner.TryCheckWindow(feature.Numerator!, d.ShortWindowMs, out failure) || !ReadPlanner.TryCheckWindow(feature.Numerator!, d.LongWindowMs, out failure))
                {
                    return failure;
                }

                continue;
            }

            for (int w = 0; w < WindowCount(query.WindowsMs, d); w++)
            {
                long window = WindowAt(query.WindowsMs, d, w);
                bool valid = d.Aggregation == AggregationKind.Ratio
                    ? ReadPlanner.TryCheckWindow(feature.Numerator!, window, out failure) && ReadPlanner.TryCheckWindow(feature.Denominator!, window, out failure)
                    : ReadPlanner.TryCheckWindow(feature, window, out failure);
                if (!valid)
                {
                    return failure;
                }
            }
        }

        var plan = new VectorPlan(entity, features, query.WindowsMs, at, ReadPlanner.NowOr(nowMs, wallMs),
            query.PlanAsOf && query.AsOfMs is not null, count, readingCount);
        return ReadResult<VectorPlan>.Ok(plan);
    }

    /// <summary>Lays out the base windows one key reads (<see cref="ReadCount"/> of them), in the order <see cref="Compose"/> expects.</summary>
    public void FillReads(Span<WindowRead> reads)
    {
        int n = 0;
        for (int f = 0; f < _features.Count; f++)
        {
            var feature = _features[f];
            var d = feature.Definition;
            if (d.Aggregation == AggregationKind.Trend)
            {
                reads[n++] = new WindowRead(feature.Numerator!, d.ShortWindowMs);
                reads[n++] = new WindowRead(feature.Numerator!, d.LongWindowMs);
                continue;
            }

            for (int w = 0; w < WindowCount(_windowsMs, d); w++)
            {
                long window = WindowAt(_windowsMs, d, w);
                if (d.Aggregation == AggregationKind.Ratio)
                {
                    reads[n++] = new WindowRead(feature.Numerator!, window);
                    reads[n++] = new WindowRead(feature.Denominator!, window);
                }
                else
                {
                    reads[n++] = new WindowRead(feature, window);
                }
            }
        }
    }

    /// <summary>The vector of <paramref name="target"/> from its <paramref name="reads"/>, laid out by <see cref="FillReads"/> and filled in.</summary>
    public FeatureVector Compose(ReadTarget target, ReadOnlySpan<WindowRead> reads)
    {
        var readings = new FeatureReading[_readingCount];
        int r = 0, n = 0;
        for (int f = 0; f < _features.Count; f++)
        {
            var feature = _features[f];
            var d = feature.Definition;
            if (d.Aggregation == AggregationKind.Trend)
            {
                var baseline = reads[n + 1];
                readings[r++] = new FeatureReading(feature.Name, $"{Duration.Format(d.ShortWindowMs)}/{Duration.Format(d.LongWindowMs)}",
                    d.ShortWindowMs, ReadPlanner.Trend(d, reads[n].Value, baseline.Value), baseline.Span.FromMs, baseline.Span.ToMs);
                n += 2;
                continue;
            }

            for (int w = 0; w < WindowCount(_windowsMs, d); w++)
            {
                long window = WindowAt(_windowsMs, d, w);
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

    // Indexed rather than foreach over IReadOnlyList: a read plans and composes once per key, and enumerators (and the
    // declared windows boxed as a list) would be allocations on the read path.
    private static int WindowCount(IReadOnlyList<long>? asked, FeatureDefinition d) => asked?.Count ?? d.WindowsMs.Length;

    private static long WindowAt(IReadOnlyList<long>? asked, FeatureDefinition d, int index) => asked is null ? d.WindowsMs[index] : asked[index];
}
