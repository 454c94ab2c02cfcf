using System.Collections.Concurrent;
using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;

namespace Freshet.Engine.Shards;

/// <summary>
/// The embedded partition worker: the single-writer shards that apply one log partition (each takes the entity keys
/// that hash to it), their bounded queues, the pools the hand-off recycles and the signal that says what is applied.
/// The router stages each accepted event's work with <see cref="Stage"/> and hands a batch over with
/// <see cref="Dispatch"/>, in log order; <see cref="Shard"/> stays behind this class. Scale-out runs the same worker
/// over the partitions a process owns.
/// </summary>
internal sealed partial class PartitionWorker
{
    private readonly Shard[] _shards;
    private readonly ConcurrentBag<SharedBatch> _batchPool = [];
    private readonly List<WorkItem>[] _pending;
    // Work-item arrays per shard: rented by the router, returned by the shard's thread. ArrayPool.Shared's
    // thread-local caches miss in that pattern (it allocated ~5 bytes per event), so each shard has its own free list.
    private readonly ConcurrentQueue<WorkItem[]>[] _freeItems;
    // Recovery only: per shard, the log offset its checkpoint already holds (replayed events below it skip that shard).
    private long[]? _replayFrom;

    /// <summary>
    /// Starts <paramref name="shardCount"/> shards, each queueing <paramref name="queueCapacity"/> batches. With a data
    /// directory, <paramref name="waitLogged"/> blocks until the log holds the events below an offset (false when it failed
    /// first): a shard applies a batch only once it is logged.
    /// </summary>
    public PartitionWorker(FeatureCatalog catalog, StringInterner strings, int shardCount, int queueCapacity, Func<long, bool>? waitLogged)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(shardCount, 1);
        QueueCapacity = queueCapacity;
        _shards = new Shard[shardCount];
        _pending = new List<WorkItem>[shardCount];
        _freeItems = new ConcurrentQueue<WorkItem[]>[shardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(i, catalog, strings, queueCapacity, OnApplied, waitLogged, Hold);
            _pending[i] = new List<WorkItem>(1024);
            _freeItems[i] = new ConcurrentQueue<WorkItem[]>();
            _shards[i].Start();
        }
    }

    /// <summary>The shards, by index: queries read them, recovery loads their checkpoints.</summary>
    public Shard[] Shards => _shards;

    public int ShardCount => _shards.Length;

    /// <summary>Batches each shard queues before <see cref="Dispatch"/> blocks.</summary>
    public int QueueCapacity { get; }

    /// <summary>The time retention is held at, shared with every shard (see <see cref="IAcceptedFeed.HoldRetention"/>).</summary>
    public RetentionHold Hold { get; } = new();

    /// <summary>The shard an entity key's route hash belongs to (the high 32 bits, scaled to the shard count).</summary>
    public int ShardOf(ulong routeHash) => (int)(((routeHash >> 32) * (ulong)_shards.Length) >> 32);

    /// <summary>A batch to copy accepted events into; back in the pool once every shard is done with it.</summary>
    public SharedBatch RentBatch() => _batchPool.TryTake(out var batch) ? batch : new SharedBatch();

    /// <summary>
    /// Recovery: per shard, the log offset its checkpoint holds, so replayed events below it skip that shard (null: live).
    /// Set and cleared under the router's lock, before and after the replay.
    /// </summary>
    public long[]? ReplayFrom
    {
        get => _replayFrom;
        set => _replayFrom = value;
    }

    /// <summary>
    /// Queues <paramref name="item"/> for the shard of <paramref name="routeHash"/> until the next <see cref="Dispatch"/>;
    /// <paramref name="offset"/> is the event's log offset in a replay (<see cref="long.MaxValue"/> live). Router's lock only.
    /// </summary>
    public void Stage(ulong routeHash, in WorkItem item, long offset)
    {
        int shard = ShardOf(routeHash);
        if (_replayFrom is { } from && offset < from[shard])
        {
            return;
        }

        _pending[shard].Add(item);
    }

    /// <summary>
    /// Hands every shard its staged work of <paramref name="shared"/> (null: a clock tick, a catalog swap or a checkpoint
    /// marker only), numbered <paramref name="sequence"/>. Blocks while a shard's queue is full. Router's lock only.
    /// </summary>
    public void Dispatch(SharedBatch? shared, FeatureCatalog catalog, long nowMs, long sequence, CheckpointRequest? checkpoint = null, long logEnd = 0)
    {
        shared?.Retain(_shards.Length);
        for (int s = 0; s < _shards.Length; s++)
        {
            var pending = _pending[s];
            WorkItem[]? items = null;
            if (pending.Count > 0)
            {
                if (!_freeItems[s].TryDequeue(out items) || items.Length < pending.Count)
                {
                    // Powers of two: a batch a little larger than the arrays in circulation grows them once, to a
                    // size the next ones fit, instead of each slightly larger batch allocating its own.
                    items = new WorkItem[(int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(pending.Count, 4096))];
                }

                pending.CopyTo(items);
            }

            _shards[s].Enqueue(new ShardWork(shared, items, pending.Count, nowMs, catalog, sequence, s, checkpoint, logEnd));
            pending.Clear();
        }
    }

    /// <summary>
    /// True while some shard's queue is full, so the next <see cref="Dispatch"/> would block until that shard catches up.
    /// </summary>
    public bool IsSaturated
    {
        get
        {
            foreach (var shard in _shards)
            {
                if (shard.QueueDepth >= QueueCapacity)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Each shard's progress.</summary>
    public ShardStats[] Stats()
    {
        var stats = new ShardStats[_shards.Length];
        for (int i = 0; i < _shards.Length; i++)
        {
            var s = _shards[i];
            stats[i] = new ShardStats(s.Index, s.EventsApplied, s.AppliedSequence, s.QueueDepth, QueueCapacity);
        }

        return stats;
    }

    /// <summary>Tiles and bytes a feature holds across all shards, and events it skipped for an absent or mistyped field.</summary>
    public (long Tiles, long Bytes, long SkippedField) Footprint(CompiledFeature feature)
    {
        long tiles = 0, bytes = 0, skipped = 0;
        foreach (var shard in _shards)
        {
            var (t, b, s) = shard.Footprint(feature);
            tiles += t;
            bytes += b;
            skipped += s;
        }

        return (tiles, bytes, skipped);
    }

    /// <summary>Tiles held across all shards.</summary>
    public long TileCount => _shards.Sum(s => s.TileCount);

    /// <summary>Stops every shard once it has applied what it was handed.</summary>
    public Task StopAsync() => Task.WhenAll(_shards.Select(s => s.StopAsync()));
}
