using Freshet.Events;

namespace Freshet.Seams;

/// <summary>
/// What happened to one batch: how many events were accepted, how many were retries of events already accepted
/// (same id inside the dedup horizon: acknowledged, not counted again), and each rejected one with its reason.
/// <see cref="Sequence"/> is the batch's position; <see cref="IEventRouter.WaitAppliedAsync"/> waits until it is visible.
/// <see cref="DurableOffset"/> is the log offset everything acknowledged by this batch lies below;
/// <see cref="IEventRouter.WaitDurableAsync"/> waits until the durability policy says it is safe (always at once
/// for an engine without a data directory). <see cref="Refused"/> is set when the whole batch was refused, nothing of it
/// taken: resending it later is safe.
/// </summary>
public sealed record IngestResult(int Accepted, int Duplicates, IReadOnlyList<EventError> Rejected, long Sequence, long DurableOffset = 0,
    DedupRefusal? Refused = null)
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

/// <summary>One shard's progress, and its queue: batches waiting now and at most (a full queue makes ingest wait).</summary>
public sealed record ShardStats(int Index, long EventsApplied, long AppliedSequence, int QueueDepth, int QueueCapacity);

/// <summary>
/// The dedup window: the promised horizon and how far back it reaches now (the age of the oldest remembered id), the
/// ids it holds, the bytes their tables take against the budget, the ids the budget holds at most, the batches (and
/// their ids) refused because the budget was full inside the horizon, and ids forgotten before their horizon was up
/// (only recovery into a smaller budget does that).
/// </summary>
public sealed record DedupStats(
    long HorizonMs, long CoveredMs, long Ids, long Bytes, long BudgetBytes, long CapacityIds, long RefusedBatches, long RefusedIds, long ForgottenEarly);

/// <summary>
/// A batch refused because the dedup window's memory budget cannot hold its ids while every remembered id is still
/// inside the promised horizon: none of its events was taken. <see cref="RetryAfterMs"/> is when the oldest remembered
/// ids expire and free memory.
/// </summary>
public sealed record DedupRefusal(string Message, long RetryAfterMs, int Ids, long HorizonMs, long CoveredMs, long BytesHeld, long BudgetBytes);
