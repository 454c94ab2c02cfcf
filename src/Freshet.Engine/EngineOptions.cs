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
}
