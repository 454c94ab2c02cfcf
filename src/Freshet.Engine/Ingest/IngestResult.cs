using Freshet.Events;

namespace Freshet.Engine.Ingest;

/// <summary>
/// What happened to one batch: how many events were accepted, how many were retries of events already accepted
/// (same id inside the dedup horizon: acknowledged, not counted again), and each rejected one with its reason.
/// <see cref="Sequence"/> is the batch's position; <see cref="FreshetEngine.WaitApplied"/> waits until it is visible.
/// <see cref="DurableOffset"/> is the log offset everything acknowledged by this batch lies below;
/// <see cref="FreshetEngine.WaitDurableAsync"/> waits until the durability policy says it is safe (always at once
/// for an engine without a data directory).
/// </summary>
public sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<EventError> Rejected, long Sequence, long DurableOffset = 0)
{
    public int RejectedCount => Rejected.Count;
}

/// <summary>Counters since the engine started.</summary>
public sealed record EngineStats(
    long Accepted,
    long Duplicates,
    IReadOnlyDictionary<EventRejectReason, long> RejectedByReason,
    long EventsWithoutFeatures,
    IReadOnlyDictionary<string, long> MissingKeyByEntity,
    long Batches,
    long NowMs,
    long CatalogVersion,
    DedupStats Dedup,
    IReadOnlyList<ShardStats> Shards)
{
    public long Rejected => RejectedByReason.Values.Sum();
}

/// <summary>One shard's progress.</summary>
public sealed record ShardStats(int Index, long EventsApplied, long AppliedSequence, int QueueDepth);

/// <summary>The dedup window: ids remembered, the bytes they take, and how often the horizon was cut short for memory.</summary>
public sealed record DedupStats(long HorizonMs, int Ids, long Bytes, long EarlyTurns);
