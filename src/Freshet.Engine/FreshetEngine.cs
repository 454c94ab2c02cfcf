using Freshet.Seams;
using Freshet.Engine.Ingest;
using Freshet.Engine.Shards;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine;

/// <summary>
/// The embedded engine, the composition root of one process: an <see cref="EventRouter"/> (the <see cref="Router"/> and
/// <see cref="Feed"/> seams: validate, clock, dedup, log, route) in front of a <see cref="PartitionWorker"/> (the
/// single-writer shards that apply the one partition and answer queries from their tiles), over an optional data
/// directory. It creates, recovers and disposes them, swaps the catalog between two batches without stopping
/// ingestion, ticks the wall clock and writes checkpoints. Embedded callers use its members; the server and the learner
/// depend on the seams.
/// </summary>
public sealed partial class FreshetEngine : IAsyncDisposable
{
    private readonly EventRouter _router;
    private readonly PartitionWorker _worker;
    private readonly TimeProvider _time;
    private readonly EngineStorage? _storage;

    public FreshetEngine(FeatureCatalog catalog, StringInterner strings, EntityKeySpace keys, EngineOptions? options = null)
        : this(catalog, strings, keys, EngineOptionsValidator.Valid(options ?? new EngineOptions()), storage: null)
    {
        if (options?.Storage is not null)
        {
            throw new ArgumentException("an engine with a data directory is opened with FreshetEngine.Open, which recovers its state", nameof(options));
        }
    }

    private FreshetEngine(FeatureCatalog catalog, StringInterner strings, EntityKeySpace keys, EngineOptions options, EngineStorage? storage)
    {
        Strings = strings;
        Keys = keys;
        _time = options.Time;
        _storage = storage;
        _worker = new PartitionWorker(catalog, strings, options.ShardCount, options.QueueCapacity, storage is null ? null : offset => storage.Log.WaitVisible(EngineStorage.Partition, offset));
        _router = new EventRouter(catalog, strings, _worker, storage?.Log, options.Time, options.DedupHorizonMs, options.DedupMemoryBytes);
        Reader = new Reading.ShardFeatureReader(this, Shards, _time);
    }

    /// <summary>
    /// Compiles <paramref name="definitions"/> and starts an engine with a fresh string table: in memory, or, when
    /// <see cref="EngineOptions.Storage"/> names a data directory, recovered from it (see <see cref="Open"/>).
    /// </summary>
    public static FreshetEngine Create(FeatureSet definitions, EngineOptions? options = null)
    {
        if (options?.Storage is not null)
        {
            return Open(definitions, options);
        }

        var strings = new StringInterner();
        var keys = new EntityKeySpace();
        return new FreshetEngine(FeatureCatalog.Compile(definitions, strings, keys), strings, keys, options);
    }

    /// <summary>The ingest seam of this engine: what the server's ingest endpoint and other producers depend on.</summary>
    public IEventRouter Router => _router;

    /// <summary>The accepted stream of this engine, as the learner consumes it.</summary>
    public IAcceptedFeed Feed => _router;

    public StringInterner Strings { get; }

    public EntityKeySpace Keys { get; }

    /// <summary>The catalog new batches are routed with.</summary>
    public FeatureCatalog Catalog => _router.Catalog;

    public int ShardCount => _worker.ShardCount;

    /// <summary>
    /// Now, as the engine's clock sees it: the largest accepted event time in event-time mode, the wall clock in
    /// wall mode. <see cref="long.MinValue"/> before the first event in event-time mode.
    /// </summary>
    public long NowMs => _router.NowMs;

    private long WallMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    // The worker's shards, which recovery, checkpoints and the reader reach directly.
    private Shard[] Shards => _worker.Shards;

    /// <inheritdoc cref="IEventRouter.Ingest"/>
    public IngestResult Ingest(EventBatch batch, int firstIndex = 0) => _router.Ingest(batch, firstIndex);

    /// <summary>Times the accepted-events observer threw (its exceptions never fail an ingest).</summary>
    public long ObserverFailures => _router.ObserverFailures;

    /// <summary>
    /// Replaces the catalog between two batches: features whose state fingerprint is unchanged keep their tiles,
    /// new ones start empty, removed ones are dropped. Returns the compiled catalog with the next version number.
    /// </summary>
    public FeatureCatalog SwapCatalog(FeatureSet definitions) =>
        _router.SwapCatalog(current => FeatureCatalog.Compile(definitions, Strings, Keys, current.Version + 1));

    /// <summary>Advances the clock of every shard without events (wall-clock mode: lets idle tiles close and expire).</summary>
    public void Tick() => _router.Tick();

    /// <inheritdoc cref="IEventRouter.GetStats"/>
    public EngineStats GetStats() => _router.GetStats();

    /// <summary>Tiles and bytes a feature holds across all shards, and events it skipped for an absent or mistyped field.</summary>
    public (long Tiles, long Bytes, long SkippedField) Footprint(CompiledFeature feature) => _worker.Footprint(feature);

    /// <inheritdoc cref="IEventRouter.CountRejected"/>
    public void CountRejected(IEnumerable<EventError> errors) => _router.CountRejected(errors);

    /// <summary>Waits until every shard has applied everything ingested before the call.</summary>
    public bool Flush(TimeSpan timeout) => _worker.WaitApplied(_router.Sequence, timeout);

    /// <inheritdoc cref="IEventRouter.WaitAppliedAsync"/>
    public Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _worker.WaitAppliedAsync(sequence, timeout, cancellationToken);

    /// <inheritdoc cref="IAcceptedFeed.WaitApplied"/>
    public bool WaitApplied(long sequence, TimeSpan timeout) => _worker.WaitApplied(sequence, timeout);

    /// <summary>Batches each shard queues before <see cref="Ingest"/> blocks.</summary>
    public int QueueCapacity => _worker.QueueCapacity;

    /// <summary>
    /// True while some shard's queue is full, so the next <see cref="Ingest"/> would block until that shard catches
    /// up. Servers use it to answer "overloaded, retry later" instead of holding requests.
    /// </summary>
    public bool IsSaturated => _worker.IsSaturated;

    /// <inheritdoc cref="IAcceptedFeed.HoldRetention"/>
    public void HoldRetention(long asOfMs) => _router.HoldRetention(asOfMs);

    /// <summary>The time retention is held at; <see cref="long.MaxValue"/> when it is not held.</summary>
    public long RetentionHeldAtMs => _worker.Hold.AsOfMs;

    /// <summary>Tests only: open coarse tiles read for their closed children, over all shards.</summary>
    internal long PartialTilesRead => _worker.PartialTilesRead;

    /// <summary>Tests only: see <see cref="Shard.BetweenRollUpChunks"/>.</summary>
    internal void OnRollUpChunk(Action action) => _worker.OnRollUpChunk(action);

    /// <summary>Tests only: every shard stops applying after the batch in hand, so queues fill up.</summary>
    internal void PauseShards() => _worker.Pause();

    internal void ResumeShards() => _worker.Resume();

    /// <summary>
    /// Stops the engine. With a data directory: no more events are taken, a last checkpoint is written (unless the
    /// log has failed), the log is synced and closed and the directory's lock released.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (!_router.TryClose())
        {
            return;
        }

        try
        {
            if (_storage is not null)
            {
                await CloseStorageAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            // Whatever happened to the last checkpoint: the shards stop, the log drains and closes, the lock is released.
            _router.Stop();
            await _worker.StopAsync().ConfigureAwait(false);
            _storage?.Dispose();
        }
    }
}
