using System.Buffers;
using System.Runtime.InteropServices;
using Freshet.Engine.Storage;
using Freshet.Engine.Tiles;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Shards;

/// <summary>
/// A shard's state on disk. The file (a <see cref="BlockFileWriter"/> file, magic <c>FRSHTSHD</c>) holds the shard's
/// clock and, per stateful feature, its name, state fingerprint and every tile: the 8-byte key then the state (raw
/// slots for inline aggregators, length-prefixed <see cref="Aggregation.Aggregator.Write"/> bytes for sketches). Ids
/// in keys and states are the journaled ids (see <see cref="IdJournal"/>), so tiles load back as they were.
/// Open-tile indexes are not stored: they are rebuilt from the tiles and the clock.
/// </summary>
internal sealed partial class Shard
{
    public const int CheckpointVersion = 1;
    private const int SketchTilesPerLock = 256;

    public static ReadOnlySpan<byte> CheckpointMagic => "FRSHTSHD"u8;

    /// <summary>
    /// Writes this shard's state to <paramref name="stream"/> (a checkpoint part) and syncs it, marking in
    /// <paramref name="marks"/> every string id its tiles hold (keys and values), so none of them is reclaimed. Runs on
    /// the shard's own thread.
    /// </summary>
    internal void WriteCheckpoint(Stream stream, long offset, int shardCount, Events.StringMarks? marks = null)
    {
        using var w = new BlockFileWriter(stream, CheckpointMagic, CheckpointVersion);
        w.WriteInt32(Index);
        w.WriteInt32(shardCount);
        w.WriteInt64(offset);
        w.WriteInt64(_nowMs);
        w.WriteInt64(_closedThroughMs);
        w.WriteInt64(_eventsApplied);
        var features = _features.Where(f => f is not null).ToArray();
        w.WriteInt32(features.Length);
        var scratch = new ArrayBufferWriter<byte>(1024);
        foreach (var tiles in features)
        {
            var aggregator = tiles!.Aggregator;
            var table = tiles.Table;
            var entity = tiles.Feature.Entity;
            w.WriteString(tiles.Feature.Name);
            w.WriteString(tiles.Feature.StateFingerprint);
            w.WriteInt32(aggregator.Width);
            w.WriteInt32(aggregator.IsInline ? 1 : 0);
            w.WriteInt64(tiles.SkippedField);
            w.WriteInt32(table.Count);
            if (aggregator.IsInline)
            {
                // Only this thread changes the table, so it reads it without the lock.
                for (int slot = 0; slot < table.SlotCount; slot++)
                {
                    long key = table.KeyAt(slot);
                    if (key != 0)
                    {
                        w.WriteInt64(key);
                        w.WriteBytes(MemoryMarshal.AsBytes(table.StateAt(slot)));
                        if (marks is not null)
                        {
                            entity.MarkKey(TileTable.EntityOf(key), marks);
                            aggregator.MarkStrings(table.StateAt(slot), marks);
                        }
                    }
                }

                continue;
            }

            // Sketches may reorganize themselves when read (readers do so under the lock), so take it, in chunks.
            int slotIndex = 0;
            while (slotIndex < table.SlotCount)
            {
                lock (_lock)
                {
                    for (int n = 0; slotIndex < table.SlotCount && n < SketchTilesPerLock; slotIndex++)
                    {
                        long key = table.KeyAt(slotIndex);
                        if (key == 0)
                        {
                            continue;
                        }

                        scratch.ResetWrittenCount();
                        aggregator.Write(table.StateAt(slotIndex), scratch);
                        if (marks is not null)
                        {
                            entity.MarkKey(TileTable.EntityOf(key), marks);
                            aggregator.MarkStrings(table.StateAt(slotIndex), marks);
                        }

                        w.WriteInt64(key);
                        w.WriteInt32(scratch.WrittenCount);
                        w.WriteBytes(scratch.WrittenSpan);
                        n++;
                    }
                }
            }
        }

        w.Complete();
    }

    /// <summary>The shard's clock and counters as a checkpoint holds them.</summary>
    internal readonly record struct CheckpointHeader(int Index, int ShardCount, long Offset, long NowMs, long ClosedThroughMs, long EventsApplied);

    internal static CheckpointHeader ReadCheckpointHeader(BlockFileReader r) =>
        new(r.ReadInt32(), r.ReadInt32(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64());

    /// <summary>
    /// Reads the feature sections of a shard file (after its header), putting each tile into the shard
    /// <paramref name="route"/> picks for it (this one unless the shard count changed). Features not in the catalog are
    /// read and dropped (recovery notes which, from the manifest). Call before the shards take work.
    /// </summary>
    internal static void LoadCheckpointTiles(BlockFileReader r, FeatureCatalog catalog, Func<CompiledFeature, int, Shard> route,
        int shares = 1)
    {
        var byFingerprint = catalog.Features.Where(f => !f.IsDerived).ToDictionary(f => f.StateFingerprint, StringComparer.Ordinal);
        int featureCount = r.ReadInt32();
        for (int f = 0; f < featureCount; f++)
        {
            string name = r.ReadString();
            string fingerprint = r.ReadString();
            int width = r.ReadInt32();
            bool inline = r.ReadInt32() == 1;
            long skipped = r.ReadInt64();
            int count = r.ReadInt32();
            byFingerprint.TryGetValue(fingerprint, out var feature);
            Shard? last = null;
            for (int i = 0; i < count; i++)
            {
                long key = r.ReadInt64();
                if (feature is null)
                {
                    r.Skip(inline ? width * sizeof(long) : r.ReadInt32());
                    continue;
                }

                var shard = route(feature, TileTable.EntityOf(key));
                var tiles = shard._features[feature.Index]!;
                if (!ReferenceEquals(shard, last))
                {
                    // Room for this file's tiles (its share of them when they are spread over other shards) before any insert.
                    tiles.Table.EnsureCapacity(tiles.Table.Count + (int)Math.Min(int.MaxValue / 2, ((long)count * 5 / 4 / shares) + 1));
                    if (tiles.Aggregator.Width != width || tiles.Aggregator.IsInline != inline)
                    {
                        throw r.Corrupt($"feature '{name}' has states of {width} slots, its aggregator {tiles.Aggregator.Width}");
                    }

                    tiles.SkippedField += skipped;
                    skipped = 0;
                    last = shard;
                }

                int offset = tiles.Table.FindOrAdd(key, out _);
                var state = tiles.Table.State(offset);
                if (inline)
                {
                    r.ReadExactly(MemoryMarshal.AsBytes(state));
                }
                else
                {
                    var bytes = r.ReadBytes(r.ReadInt32());
                    if (tiles.Aggregator.Read(bytes, state) != bytes.Length)
                    {
                        throw r.Corrupt($"a state of feature '{name}' is not the length it says");
                    }
                }
            }

            if (feature is not null && count == 0 && skipped != 0)
            {
                route(feature, 0)._features[feature.Index]!.SkippedField += skipped;
            }
        }
    }

    /// <summary>Tiles held across all features.</summary>
    internal long TileCount => _features.Sum(f => (long)(f?.Table.Count ?? 0));

    /// <summary>Drops all state (a checkpoint that failed half-way through loading). Call before the shard takes work.</summary>
    internal void ResetState()
    {
        _features = BuildFeatures(_catalog, []);
        _nowMs = long.MinValue;
        _closedThroughMs = long.MinValue;
        _eventsApplied = 0;
    }

    /// <summary>Sets the clock after loading and rebuilds the open-tile indexes from the tiles.</summary>
    internal void RestoreClock(long nowMs, long closedThroughMs, long eventsApplied)
    {
        _nowMs = nowMs;
        _closedThroughMs = closedThroughMs;
        _eventsApplied = eventsApplied;
        if (nowMs == long.MinValue)
        {
            return;
        }

        foreach (var tiles in _features)
        {
            if (tiles is null)
            {
                continue;
            }

            var ladder = tiles.Feature.Ladder;
            var table = tiles.Table;
            for (int slot = 0; slot < table.SlotCount; slot++)
            {
                long key = table.KeyAt(slot);
                if (key == 0)
                {
                    continue;
                }

                int level = TileTable.LevelOf(key);
                long resolution = ladder.ResolutionMs(level);
                long start = TileTable.BucketOf(key, TimeMath.BucketOf(nowMs, resolution)) * resolution;
                if (start + resolution > closedThroughMs)
                {
                    tiles.Open[level].Add(start + resolution, new OpenTile(TileTable.EntityOf(key), start));
                }
            }
        }
    }
}
