using Freshet.Aggregation;
using Freshet.Engine.Tiles;
using Freshet.Features;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Engine.Shards;

/// <summary>One window of a base feature to read for a key: filled in with its effective interval and its value.</summary>
internal struct WindowRead(CompiledFeature feature, long windowMs)
{
    public readonly CompiledFeature Feature = feature;
    public readonly long WindowMs = windowMs;
    public WindowSpan Span;
    public FeatureValue Value;
}

/// <summary>Reads: windows merged from tiles under the shard lock.</summary>
internal sealed partial class Shard
{
    /// <summary>The shard's clock and closure watermark, read together.</summary>
    public (long NowMs, long ClosedThroughMs) Clock
    {
        get
        {
            lock (_lock)
            {
                return (_nowMs, _closedThroughMs);
            }
        }
    }

    /// <summary>
    /// Plans and merges several window reads of one key under one hold of the lock, so a feature vector sees one
    /// moment of the shard and takes the lock once rather than once per feature.
    /// Returns the index of a read whose window starts before every tile its feature keeps, or -1 when all were read.
    /// <paramref name="nowIfUnset"/> is the now to plan with when this shard has applied nothing yet.
    /// With <paramref name="planAsOf"/>, the windows are planned as this shard would have planned them at
    /// <paramref name="atMs"/> (see <see cref="Reading.VectorQuery.PlanAsOf"/>).
    /// </summary>
    public int ReadWindows(Span<WindowRead> reads, int keyId, long atMs, long nowIfUnset, bool planAsOf = false)
    {
        lock (_lock)
        {
            long now = _nowMs == long.MinValue ? nowIfUnset : _nowMs;
            long closedThrough = _closedThroughMs;
            bool partials = !_rollingUp;
            if (planAsOf)
            {
                // Now was at least atMs then, so the tiles ending by atMs minus the lateness had closed; no event can
                // enter them any more (it would be late), so they read the same whenever this runs. Open coarse tiles
                // hold children closed since, so only complete ones are used.
                now = Math.Min(now, atMs);
                closedThrough = Math.Min(closedThrough, atMs - _catalog.Settings.AllowedLatenessMs);
                partials = false;
            }

            Span<long> scratch = stackalloc long[64];
            for (int i = 0; i < reads.Length; i++)
            {
                ref var read = ref reads[i];
                if (!WindowPlan.TryPlan(read.Feature.Ladder, read.WindowMs, atMs, now, out read.Span))
                {
                    return i;
                }

                var tiles = FeaturesFor(read.Feature);
                var aggregator = tiles.Aggregator;
                var accumulator = aggregator.Width <= scratch.Length ? scratch[..aggregator.Width] : new long[aggregator.Width];
                aggregator.Init(accumulator);
                read.Span = MergeSpan(tiles, keyId, read.Span, accumulator, now, closedThrough, partials);
                read.Value = aggregator.Finish(accumulator, new FinishContext(atMs, _strings));
                aggregator.Release(accumulator);
            }

            return -1;
        }
    }

    /// <summary>
    /// Merges several spans into shared accumulators: <paramref name="slotOfSpan"/>[i] says which accumulator span i
    /// feeds (profiles fold many days into one hour-of-day slot). Returns the finished value of each slot.
    /// </summary>
    public void ReadGrouped(CompiledFeature feature, int keyId, ReadOnlySpan<WindowSpan> spans, ReadOnlySpan<int> slotOfSpan, long finishAtMs, Span<FeatureValue> slots)
    {
        lock (_lock)
        {
            var tiles = FeaturesFor(feature);
            var aggregator = tiles.Aggregator;
            int width = aggregator.Width;
            var accumulators = new long[slots.Length * width];
            for (int s = 0; s < slots.Length; s++)
            {
                aggregator.Init(accumulators.AsSpan(s * width, width));
            }

            for (int i = 0; i < spans.Length; i++)
            {
                MergeSpan(tiles, keyId, spans[i], accumulators.AsSpan(slotOfSpan[i] * width, width), _nowMs, _closedThroughMs, !_rollingUp);
            }

            for (int s = 0; s < slots.Length; s++)
            {
                var accumulator = accumulators.AsSpan(s * width, width);
                slots[s] = aggregator.Finish(accumulator, new FinishContext(finishAtMs, _strings));
                aggregator.Release(accumulator);
            }
        }
    }

    /// <summary>Number of tiles and bytes held by a feature in this shard.</summary>
    public (long Tiles, long Bytes, long SkippedField) Footprint(CompiledFeature feature)
    {
        lock (_lock)
        {
            var tiles = _features.Length > feature.Index ? _features[feature.Index] : null;
            return tiles is null || !ReferenceEquals(tiles.Feature, feature) ? (0, 0, 0) : (tiles.Table.Count, tiles.Table.Bytes, tiles.SkippedField);
        }
    }

    /// <summary>Open coarse tiles read for their closed children so far (tests check that reads use them).</summary>
    internal long PartialTilesRead { get; private set; }

    private WindowSpan MergeSpan(FeatureTiles tiles, int keyId, WindowSpan span, Span<long> accumulator, long nowMs, long closedThroughMs, bool partials)
    {
        var ladder = tiles.Feature.Ladder;
        var table = tiles.Table;
        var aggregator = tiles.Aggregator;
        var cover = new WindowCoverEnumerator(ladder, span, nowMs, closedThroughMs, partials);
        while (cover.MoveNext())
        {
            var run = cover.Current;
            long resolution = ladder.ResolutionMs(run.Level);
            if (run.EndMs - run.StartMs < run.Count * resolution)
            {
                PartialTilesRead++;
            }

            long bucket = TimeMath.BucketOf(run.StartMs, resolution);
            for (int i = 0; i < run.Count; i++)
            {
                int offset = table.Find(TileTable.MakeKey(keyId, run.Level, bucket + i));
                if (offset >= 0)
                {
                    aggregator.Merge(accumulator, table.State(offset));
                }
            }
        }

        return span with { ToMs = cover.EndMs };
    }

    private FeatureTiles FeaturesFor(CompiledFeature feature)
    {
        // A reader may hold a feature of a catalog the shard has not switched to yet (or has just left): match by
        // state fingerprint, which is what decides whether the tiles hold that feature's data.
        var tiles = feature.Index < _features.Length ? _features[feature.Index] : null;
        if (tiles is not null && tiles.Feature.StateFingerprint == feature.StateFingerprint)
        {
            return tiles;
        }

        foreach (var candidate in _features)
        {
            if (candidate is not null && candidate.Feature.StateFingerprint == feature.StateFingerprint)
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"feature '{feature.Name}' is not in the catalog this shard runs (a catalog swap is in progress); retry");
    }
}
