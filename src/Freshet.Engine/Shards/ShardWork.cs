using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Shards;

/// <summary>One event for one entity of one shard: which event, which route entry of its type, and the entity key id.</summary>
internal readonly record struct WorkItem(int EventIndex, int RouteIndex, int KeyId);

/// <summary>
/// A shared, read-only batch of accepted events, handed to every shard; returned to its pool when the last
/// shard is done with it.
/// </summary>
internal sealed class SharedBatch
{
    private int _references;

    public EventBatch Events { get; } = new(4096);

    public void Retain(int count) => _references = count;

    /// <summary>Drops one reference; true when it was the last.</summary>
    public bool Release() => Interlocked.Decrement(ref _references) == 0;
}

/// <summary>What the router hands one shard per batch: its items (pooled array), the clock and the catalog in force.</summary>
internal readonly record struct ShardWork(
    SharedBatch? Batch,
    WorkItem[]? Items,
    int Count,
    long NowMs,
    FeatureCatalog Catalog,
    long Sequence,
    int ShardIndex);
