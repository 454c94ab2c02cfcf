using Freshet.Aggregation;
using Freshet.Engine.Tiles;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Engine.Shards;

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
    /// Plans and merges the window reads of several keys under one hold of the lock, so each key's vector sees one
    /// moment of the shard and a batch of keys takes the lock once rather than once per key and feature.
    /// <paramref name="reads"/> holds <paramref name="keyIds"/>.Length runs of the same plan, one per key.
    /// <paramref name="nowIfUnset"/> is the now to plan with when this shard has applied nothing yet. With
    /// <paramref name="planAsOf"/>, the windows are planned as this shard would have planned them at
    /// <paramref name="atMs"/> (see <see cref="VectorQuery.PlanAsOf"/>).
    /// Returns <see cref="ReadStatus.OutOfRange"/> with the index (within one key's run) of a read whose window starts
    /// before every tile its feature keeps, or <see cref="ReadStatus.Unavailable"/> with the index of a read whose
    /// feature this shard does not run yet (a catalog swap in progress); then no key's reads are complete.
    /// </summary>
    public ReadStatus ReadWindows(Span<WindowRead> reads, ReadOnlySpan<int> keyIds, long atMs, long nowIfUnset, bool planAsOf, out int failed)
    {
        int perKey = keyIds.Length == 0 ? 0 : reads.Length / keyIds.Length;
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
                // The planned interval depends on the window and the clock only, so a key's read fails as every key's would.
                if (!WindowPlan.TryPlan(read.Feature.Ladder, read.WindowMs, atMs, now, out read.Span))
                {
                    failed = i % perKey;
                    return ReadStatus.OutOfRange;
                }

                if (TryFeaturesFor(read.Feature) is not { } tiles)
                {
                    failed = i % perKey;
                    return ReadStatus.Unavailable;
                }

                var aggregator = tiles.Aggregator;
                var accumulator = aggregator.Width <= scratch.Length ? scratch[..aggregator.Width] : new long[aggregator.Width];
                aggregator.Init(accumulator);
                read.Span = MergeSpan(tiles, keyIds[i / perKey], read.Span, accumulator, now, closedThrough, partials);
                read.Value = aggregator.Finish(accumulator, new FinishContext(atMs, _strings));
                aggregator.Release(accumulator);
            }

            failed = -1;
            return ReadStatus.Ok;
        }
    }

    /// <summary>
    /// Merges several spans into shared accumulators: <paramref name="slotOfSpan"/>[i] says which accumulator span i
    /// feeds (profiles fold many days into one hour-of-day slot), and finishes each slot into <paramref name="slots"/>.
    /// False when this shard does not run <paramref name="feature"/> yet (a catalog swap in progress).
    /// </summary>
    public bool ReadGrouped(CompiledFeature feature, int keyId, IReadOnlyList<WindowSpan> spans, IReadOnlyList<int> slotOfSpan, long finishAtMs, Span<FeatureValue> slots)
    {
        lock (_lock)
        {
            if (TryFeaturesFor(feature) is not { } tiles)
            {
                return false;
            }

            var aggregator = tiles.Aggregator;
            int width = aggregator.Width;
            var accumulators = new long[slots.Length * width];
            for (int s = 0; s < slots.Length; s++)
            {
                aggregator.Init(accumulators.AsSpan(s * width, width));
            }

            for (int i = 0; i < spans.Count; i++)
            {
                MergeSpan(tiles, keyId, spans[i], accumulators.AsSpan(slotOfSpan[i] * width, width), _nowMs, _closedThroughMs, !_rollingUp);
            }

            for (int s = 0; s < slots.Length; s++)
            {
                var accumulator = accumulators.AsSpan(s * width, width);
                slots[s] = aggregator.Finish(accumulator, new FinishContext(finishAtMs, _strings));
                aggregator.Release(accumulator);
            }

            return true;
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

    private FeatureTiles? TryFeaturesFor(CompiledFeature feature)
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

        return null;
    }
}
