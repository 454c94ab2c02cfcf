using Freshet.Engine.Tiles;
using Freshet.Time;

namespace Freshet.Engine.Shards;

/// <summary>Closing tiles, rolling them up into coarser ones, and expiring what retention no longer keeps.</summary>
internal sealed partial class Shard
{
    /// <summary>
    /// Slots examined per feature per batch by the expiry sweep, plus two per event applied: the sweep keeps pace
    /// with tile creation, so memory stays bounded without a stop-the-world scan.
    /// </summary>
    private const int SweepSlotsPerBatch = 512;

    /// <summary>Tiles closed (merged into their parents) per hold of the lock, so readers never wait long behind a roll-up.</summary>
    private const int CloseTilesPerLock = 512;

    /// <summary>Tests only: runs on the shard's thread after each chunk of a roll-up, outside the lock, so a test can read there.</summary>
    internal Action? BetweenRollUpChunks { get; set; }

    /// <summary>
    /// Moves the shard's clock: closes and rolls up the tiles the watermark passed, then sweeps some expired ones. Runs
    /// on the shard's thread and takes the lock in chunks. That is safe for readers between chunks: while
    /// <see cref="_rollingUp"/> is set they use a parent tile only once <see cref="_closedThroughMs"/> passes its end,
    /// which is set after every child has rolled into it, and the children stay until they expire, so until then
    /// readers use the children. Once the roll-up is done, an open parent holds exactly its children that end at or
    /// before <see cref="_closedThroughMs"/>, and reads use it for them.
    /// </summary>
    private void AdvanceClock(long nowMs, int itemsApplied)
    {
        long watermark;
        lock (_lock)
        {
            if (nowMs <= _nowMs)
            {
                return;
            }

            _nowMs = nowMs;
            watermark = nowMs - _catalog.Settings.AllowedLatenessMs;
        }

        if (watermark > _closedThroughMs)
        {
            foreach (var tiles in _features)
            {
                if (tiles is not null)
                {
                    CloseTiles(tiles, watermark);
                }
            }

            lock (_lock)
            {
                // Queries treat every tile ending at or before this time as complete at every level.
                _closedThroughMs = watermark;
                _rollingUp = false;
            }
        }

        foreach (var tiles in _features)
        {
            if (tiles is not null)
            {
                lock (_lock)
                {
                    SweepExpired(tiles, SweepSlotsPerBatch + (2 * itemsApplied));
                }
            }
        }
    }

    /// <summary>
    /// Merges every tile that ended at or before the watermark into its parent one level up. Levels go finest
    /// first, so a parent that closes in the same pass already holds all of its children when it rolls up.
    /// </summary>
    private void CloseTiles(FeatureTiles tiles, long watermarkMs)
    {
        var ladder = tiles.Feature.Ladder;
        var table = tiles.Table;
        int top = ladder.Count - 1;
        for (int level = 0; level <= top; level++)
        {
            var open = tiles.Open[level];
            while (open.TryTakeClosed(watermarkMs, out var closed))
            {
                if (level < top)
                {
                    long resolution = ladder.ResolutionMs(level);
                    long parentResolution = ladder.ResolutionMs(level + 1);
                    for (int start = 0; start < closed.Count; start += CloseTilesPerLock)
                    {
                        lock (_lock)
                        {
                            _rollingUp = true;
                            for (int i = start; i < Math.Min(closed.Count, start + CloseTilesPerLock); i++)
                            {
                                var tile = closed[i];
                                long parentStart = TimeMath.FloorTo(tile.StartMs, parentResolution);
                                int parentOffset = table.FindOrAdd(TileTable.MakeKey(tile.EntityId, level + 1, parentStart / parentResolution), out bool added);
                                if (added)
                                {
                                    tiles.Aggregator.Init(table.State(parentOffset));
                                    tiles.Open[level + 1].Add(parentStart + parentResolution, new OpenTile(tile.EntityId, parentStart));
                                }

                                // Look the child up after the add: adding may have grown the table and moved it.
                                int childOffset = table.Find(TileTable.MakeKey(tile.EntityId, level, TimeMath.BucketOf(tile.StartMs, resolution)));
                                if (childOffset >= 0)
                                {
                                    tiles.Aggregator.Merge(table.State(parentOffset), table.State(childOffset));
                                }
                            }
                        }

                        BetweenRollUpChunks?.Invoke();
                    }
                }

                open.Recycle(closed);
            }
        }
    }

    /// <summary>Examines up to <paramref name="budget"/> slots and removes tiles older than their level keeps.</summary>
    private void SweepExpired(FeatureTiles tiles, int budget)
    {
        var table = tiles.Table;
        var ladder = tiles.Feature.Ladder;
        int slot = tiles.SweepCursor;
        Span<long> currentBucket = stackalloc long[ladder.Count];
        // Under a hold, tiles are kept as long as a read as of the hold's time would use them.
        long keepNow = Math.Min(_nowMs, _hold.AsOfMs);
        for (int level = 0; level < ladder.Count; level++)
        {
            currentBucket[level] = TimeMath.BucketOf(_nowMs, ladder.ResolutionMs(level));
        }

        for (int n = 0; n < budget && table.Count > 0; n++)
        {
            if (slot >= table.SlotCount)
            {
                slot = 0;
            }

            long key = table.KeyAt(slot);
            if (key != 0)
            {
                int level = TileTable.LevelOf(key);
                long start = TileTable.BucketOf(key, currentBucket[level]) * ladder.ResolutionMs(level);
                if (!ladder.IsRetained(level, start, keepNow))
                {
                    tiles.Aggregator.Release(table.StateAt(slot));
                    table.RemoveAt(slot);
                    continue; // The shift may have moved another entry into this slot: look again.
                }
            }

            slot++;
        }

        tiles.SweepCursor = slot;
    }
}
