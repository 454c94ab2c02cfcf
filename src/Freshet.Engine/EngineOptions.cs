namespace Freshet.Engine;

/// <summary>How an engine runs: shard count, queue bounds and the clock source.</summary>
public sealed record EngineOptions
{
    /// <summary>Single-writer shards; one per core by default.</summary>
    public int ShardCount { get; init; } = Environment.ProcessorCount;

    /// <summary>Batches queued per shard before <see cref="FreshetEngine.Ingest"/> blocks (backpressure).</summary>
    public int QueueCapacity { get; init; } = 64;

    /// <summary>Wall clock, used for max_future checks and as now in wall-clock mode. Tests pass a fake.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long an event id is remembered (on the engine's clock) so a retried event is counted once; 0 turns
    /// deduplication off. Events without an id are never deduplicated.
    /// </summary>
    public long DedupHorizonMs { get; init; } = 10 * 60 * 1000;

    /// <summary>
    /// Memory the dedup window's id tables may take (8 bytes a slot, tables ¾ full at most: 11–21 bytes an id). The
    /// horizon is never shortened to fit: when the budget is full and every remembered id is still inside the horizon,
    /// batches that carry ids are refused (<see cref="Seams.IngestResult.Refused"/>), retryable once the oldest ids
    /// expire. Tables grow as ids arrive, so an idle engine does not hold the budget. At least 64 KiB.
    /// </summary>
    public long DedupMemoryBytes { get; init; } = 256L << 20;

    /// <summary>The smallest <see cref="DedupMemoryBytes"/> accepted: a handful of minimal tables.</summary>
    public const long DedupMemoryMinBytes = 64 * 1024;

    /// <summary>
    /// The data directory and durability settings; null keeps everything in memory (lost when the process ends).
    /// With it, accepted events go to an event log before they are acknowledged and state is checkpointed, so a
    /// restart recovers exactly what was acknowledged.
    /// </summary>
    public Storage.StorageOptions? Storage { get; init; }
}
