using Freshet.Aggregation;
using Freshet.Engine.Tiles;
using Freshet.Features;
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
    /// Merges the tiles covering <paramref name="spans"/> (one per requested interval) for one key of a base feature
    /// and finishes each. Spans may grow at their end (see <see cref="WindowCoverEnumerator"/>); the grown spans are
    /// written back. Missing tiles count as empty.
    /// </summary>
    public void Read(CompiledFeature feature, int keyId, Span<WindowSpan> spans, long finishAtMs, Span<FeatureValue> values)
    {
        lock (_lock)
        {
            var tiles = FeaturesFor(feature);
            var aggregator = tiles.Aggregator;
            Span<long> accumulator = aggregator.Width <= 64 ? stackalloc long[64] : new long[aggregator.Width];
            accumulator = accumulator[..aggregator.Width];
            for (int w = 0; w < spans.Length; w++)
            {
                aggregator.Init(accumulator);
                spans[w] = MergeSpan(tiles, keyId, spans[w], accumulator);
                values[w] = aggregator.Finish(accumulator, new FinishContext(finishAtMs, _strings));
                aggregator.Release(accumulator);
            }
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
                MergeSpan(tiles, keyId, spans[i], accumulators.AsSpan(slotOfSpan[i] * width, width));
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

    private WindowSpan MergeSpan(FeatureTiles tiles, int keyId, WindowSpan span, Span<long> accumulator)
    {
        var ladder = tiles.Feature.Ladder;
        var table = tiles.Table;
        var aggregator = tiles.Aggregator;
        var cover = new WindowCoverEnumerator(ladder, span, _nowMs, _closedThroughMs, partials: !_rollingUp);
        while (cover.MoveNext())
        {
            var run = cover.Current;
            long bucket = TimeMath.BucketOf(run.StartMs, ladder.ResolutionMs(run.Level));
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
