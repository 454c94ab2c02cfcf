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
    /// Most new ids remembered per horizon (memory: about 16 bytes each at most, twice over for the two
    /// generations). Past it the horizon is shortened rather than memory grown; the stats count it.
    /// </summary>
    public int DedupCapacity { get; init; } = 1 << 20;

    /// <summary>
    /// The data directory and durability settings; null keeps everything in memory (lost when the process ends).
    /// With it, accepted events go to an event log before they are acknowledged and state is checkpointed, so a
    /// restart recovers exactly what was acknowledged.
    /// </summary>
    public Storage.StorageOptions? Storage { get; init; }
}
