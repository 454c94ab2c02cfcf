using Freshet.Events;

namespace Freshet.Engine.Ingest;

/// <summary>What happened to one batch: how many events were accepted, and each rejected one with its reason.</summary>
public sealed record IngestResult(int Accepted, IReadOnlyList<EventError> Rejected, long Sequence)
{
    public int RejectedCount => Rejected.Count;
}

/// <summary>Counters since the engine started.</summary>
public sealed record EngineStats(
    long Accepted,
    IReadOnlyDictionary<EventRejectReason, long> RejectedByReason,
    long EventsWithoutFeatures,
    IReadOnlyDictionary<string, long> MissingKeyByEntity,
    long Batches,
    long NowMs,
    long CatalogVersion,
    IReadOnlyList<ShardStats> Shards)
{
    public long Rejected => RejectedByReason.Values.Sum();
}

/// <summary>One shard's progress.</summary>
public sealed record ShardStats(int Index, long EventsApplied, long AppliedSequence, int QueueDepth);
