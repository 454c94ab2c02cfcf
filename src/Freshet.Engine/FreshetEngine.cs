using System.Collections.Concurrent;
using Freshet.Seams;
using Freshet.Engine.Ingest;
using Freshet.Engine.Shards;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine;

/// <summary>
/// The embedded engine: routes accepted events by entity-key hash to single-writer shards and answers queries from
/// their tiles. <see cref="Ingest"/> is serialized (one router decides the clock, lateness and order); shards apply in
/// parallel. A new catalog replaces the current one between two batches without stopping ingestion.
/// </summary>
public sealed partial class FreshetEngine : IAsyncDisposable
{
    private readonly Lock _ingestLock = new();
    private readonly object _appliedSignal = new(); // Monitor: shards pulse it after each batch, Flush waits on it.
    // Async waiters for a batch to become visible (HTTP ?wait=true), completed by OnApplied under _appliedSignal.
    private readonly List<(long Sequence, TaskCompletionSource Done)> _visibleWaiters = [];
    private readonly Shard[] _shards;
    private readonly TimeProvider _time;
    private readonly ConcurrentBag<SharedBatch> _batchPool = [];
    private readonly List<WorkItem>[] _pending;
    // Work-item arrays per shard: rented by the router, returned by the shard's thread. ArrayPool.Shared's
    // thread-local caches miss in that pattern (it allocated ~5 bytes per event), so each shard has its own free list.
    private readonly ConcurrentQueue<WorkItem[]>[] _freeItems;
    private readonly long[] _rejectedByReason = new long[Enum.GetValues<EventRejectReason>().Length];
    private readonly ConcurrentDictionary<string, long> _missingKey = new(StringComparer.Ordinal);
    private volatile FeatureCatalog _catalog;
    private long _nowMs = long.MinValue;
    private long _sequence;
    private long _accepted;
    private long _duplicates;
    private readonly DedupWindow _dedup;
    private readonly int _queueCapacity;
    private long _withoutFeatures;
    private bool _disposed;
    private bool _closing; // DisposeAsync has begun: no more events; the last checkpoint may still be written.
    private readonly EngineStorage? _storage;
    // Recovery only: per shard, the log offset its checkpoint already holds (replayed events below it skip that shard).
    private long[]? _replayFrom;
    // Recovery only: replayed events below this offset are already in the checkpoint's counters.
    private long _countFromOffset = long.MinValue;

    public FreshetEngine(FeatureCatalog catalog, StringInterner strings, EntityKeySpace keys, EngineOptions? options = null)
        : this(catalog, strings, keys, options ?? new EngineOptions(), storage: null)
    {
        if (options?.Storage is not null)
        {
            throw new ArgumentException("an engine with a data directory is opened with FreshetEngine.Open, which recovers its state", nameof(options));
        }
    }

    private FreshetEngine(FeatureCatalog catalog, StringInterner strings, EntityKeySpace keys, EngineOptions options, EngineStorage? storage)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ShardCount, 1);
        Strings = strings;
        Keys = keys;
        _catalog = catalog;
        _time = options.Time;
        _dedup = new DedupWindow(options.DedupHorizonMs, options.DedupMemoryBytes);
        _queueCapacity = options.QueueCapacity;
        _storage = storage;
        _shards = new Shard[options.ShardCount];
        _pending = new List<WorkItem>[options.ShardCount];
        _freeItems = new ConcurrentQueue<WorkItem[]>[options.ShardCount];
        for (int i = 0; i < _shards.Length; i++)
        {
            _shards[i] = new Shard(i, catalog, strings, options.QueueCapacity, OnApplied, storage is null ? null : storage.Log.WaitVisible, _hold);
            _pending[i] = new List<WorkItem>(1024);
            _freeItems[i] = new ConcurrentQueue<WorkItem[]>();
            _shards[i].Start();
        }

        Reader = new Reading.ShardFeatureReader(this, _shards, _time);
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

    public StringInterner Strings { get; }

    public EntityKeySpace Keys { get; }

    /// <summary>The catalog new batches are routed with.</summary>
    public FeatureCatalog Catalog => _catalog;

    public int ShardCount => _shards.Length;

    /// <summary>
    /// Now, as the engine's clock sees it: the largest accepted event time in event-time mode, the wall clock in
    /// wall mode. <see cref="long.MinValue"/> before the first event in event-time mode.
    /// </summary>
    public long NowMs => _catalog.Settings.Clock == ClockMode.Wall ? WallMs : Volatile.Read(ref _nowMs);

    private long WallMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>
    /// Accepts the valid events of <paramref name="batch"/> (lateness and max_future are checked here, in order)
    /// and hands them to the shards. The caller may reuse <paramref name="batch"/> as soon as this returns.
    /// Blocks while shard queues are full. Rejected events are reported by <paramref name="firstIndex"/> plus their
    /// source index (their position in the request they were parsed from).
    /// </summary>
    public IngestResult Ingest(EventBatch batch, int firstIndex = 0)
    {
        List<EventError>? rejected = null;
        lock (_ingestLock)
        {
            ObjectDisposedException.ThrowIf(_disposed || _closing, this);
            if (_storage?.Log.Failure is { } failure)
            {
                throw failure;
            }

            var catalog = _catalog;
            var settings = catalog.Settings;
            long wall = WallMs;
            long now = settings.Clock == ClockMode.Wall ? wall : _nowMs;
            if (ReserveDedup(batch, settings, wall, now) is { } refusal)
            {
                return new IngestResult(0, 0, [], Volatile.Read(ref _sequence), _storage?.Log.EndOffset ?? 0, refusal);
            }

            var shared = RentBatch();
            var events = shared.Events;
            int duplicates = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                long time = batch[i].TimeMs;
                // In wall mode now is the wall clock, so this one check covers both clock modes.
                if (time > wall + settings.MaxFutureMs)
                {
                    Reject(ref rejected, firstIndex + batch.SourceIndexOf(i), EventRejectReason.Future,
                        $"'time' {Time.TimeMath.FormatUtc(time, "?")} is more than {Time.Duration.Format(settings.MaxFutureMs)} ahead of now ({Time.TimeMath.FormatUtc(wall)})");
                    continue;
                }

                if (now != long.MinValue && time < now - settings.AllowedLatenessMs)
                {
                    Reject(ref rejected, firstIndex + batch.SourceIndexOf(i), EventRejectReason.Late,
                        $"'time' {Time.TimeMath.FormatUtc(time, "?")} is more than the allowed lateness ({Time.Duration.Format(settings.AllowedLatenessMs)}) behind now ({Time.TimeMath.FormatUtc(now, "?")})");
                    continue;
                }

                long advanced = settings.Clock == ClockMode.EventTime && time > now ? time : now;

                // After the time checks: a rejected event is not remembered, so its corrected retry is accepted. A
                // duplicate does not move the clock: it is not logged, so a replay would not move it either.
                if (!_dedup.TryAdd(batch[i].IdHash, advanced == long.MinValue ? time : advanced))
                {
                    duplicates++;
                    continue;
                }

                now = advanced;

                int copied = events.Count;
                events.CopyFrom(batch, i);
                events.Promote(copied, Strings, catalog.KeptValueFields); // Accepted: the values state holds become permanent.
                Route(catalog, events, copied, long.MaxValue);
            }

            if (settings.Clock == ClockMode.EventTime)
            {
                Volatile.Write(ref _nowMs, now);
            }

            // Read the count before dispatching: once the shards have the batch they may finish and recycle it.
            int accepted = events.Count;
            if (accepted > 0 && _acceptedObserver is { } observer)
            {
                try
                {
                    // The offset the log gives this batch's first event (in memory: the count accepted before it), and
                    // the sequence number Dispatch below gives the batch.
                    observer(events, _storage?.Log.EndOffset ?? _accepted, _sequence + 1);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // An observer never fails an ingest: the events are accepted, logged and applied regardless.
                    Interlocked.Increment(ref _observerFailures);
                }
            }

            // Logged before the shards see them, in routing order. A duplicate's original was logged by an earlier
            // call, so even a batch of duplicates is acknowledged only once everything logged so far is safe.
            long durableOffset = _storage is null ? 0 : accepted > 0 ? _storage.Log.Append(events, 0, accepted) : _storage.Log.EndOffset;
            _accepted += accepted;
            _duplicates += duplicates;
            long sequence = Dispatch(shared, catalog, now, logEnd: _storage is null || accepted == 0 ? 0 : durableOffset);
            return new IngestResult(accepted, duplicates, (IReadOnlyList<EventError>?)rejected ?? [], sequence, durableOffset);
        }
    }

    /// <summary>
    /// Shows every batch of accepted events, in the order they are logged and applied, with the log offset of its first
    /// event and the sequence number of the batch (see <see cref="WaitApplied"/>), to <paramref name="observer"/> (null stops it): how models learn from the same stream as the features. It runs under the ingest lock, so it
    /// must copy what it keeps and return at once, never block; the batch is reused after it returns. An exception it
    /// throws is counted (<see cref="ObserverFailures"/>) and does not fail the ingest.
    /// </summary>
    public void ObserveAccepted(Action<EventBatch, long, long>? observer)
    {
        lock (_ingestLock)
        {
            _acceptedObserver = observer;
        }
    }

    private Action<EventBatch, long, long>? _acceptedObserver;
    private long _observerFailures;

    /// <summary>Times the accepted-events observer threw (its exceptions never fail an ingest).</summary>
    public long ObserverFailures => Interlocked.Read(ref _observerFailures);

    /// <summary>
    /// Replaces the catalog between two batches: features whose state fingerprint is unchanged keep their tiles,
    /// new ones start empty, removed ones are dropped. Returns the compiled catalog with the next version number.
    /// </summary>
    public FeatureCatalog SwapCatalog(FeatureSet definitions)
    {
        lock (_ingestLock)
        {
            var next = FeatureCatalog.Compile(definitions, Strings, Keys, _catalog.Version + 1);
            _catalog = next;
            Dispatch(null, next, _catalog.Settings.Clock == ClockMode.Wall ? WallMs : _nowMs);
            return next;
        }
    }

    /// <summary>Advances the clock of every shard without events (wall-clock mode: lets idle tiles close and expire).</summary>
    public void Tick()
    {
        lock (_ingestLock)
        {
            if (!_disposed && _catalog.Settings.Clock == ClockMode.Wall)
            {
                Dispatch(null, _catalog, WallMs);
            }
        }
    }

    public EngineStats GetStats()
    {
        var reasons = Enum.GetValues<EventRejectReason>().ToDictionary(r => r, r => Interlocked.Read(ref _rejectedByReason[(int)r]));
        // Read without the ingest lock (which an ingest blocked on a full queue holds): the figures are only advisory.
        var dedup = DedupStatsNow();

        return new EngineStats(
            Interlocked.Read(ref _accepted),
            Interlocked.Read(ref _duplicates),
            reasons,
            Interlocked.Read(ref _withoutFeatures),
            new Dictionary<string, long>(_missingKey, StringComparer.Ordinal),
            Volatile.Read(ref _sequence),
            NowMs,
            _catalog.Version,
            dedup,
            _shards.Select(s => new ShardStats(s.Index, s.EventsApplied, s.AppliedSequence, s.QueueDepth)).ToArray());
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

    /// <summary>Counts events rejected before they reached the engine (by the parser), so statistics cover every reason.</summary>
    public void CountRejected(IEnumerable<EventError> errors)
    {
        foreach (var error in errors)
        {
            Interlocked.Increment(ref _rejectedByReason[(int)error.Reason]);
        }
    }

    /// <summary>
    /// Stops the engine. With a data directory: no more events are taken, a last checkpoint is written (unless the
    /// log has failed), the log is synced and closed and the directory's lock released.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        lock (_ingestLock)
        {
            if (_disposed || _closing)
            {
                return;
            }

            _closing = true;
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
            lock (_ingestLock)
            {
                _disposed = true;
            }

            await Task.WhenAll(_shards.Select(s => s.StopAsync())).ConfigureAwait(false);
            _storage?.Dispose();
        }
    }

    /// <summary>
    /// Queues event <paramref name="index"/> for the shards of its entities. <paramref name="offset"/> is its log offset
    /// when recovery replays it (a shard whose checkpoint already holds it skips it; counters count it only past the
    /// newest checkpoint), <see cref="long.MaxValue"/> for a live event.
    /// </summary>
    private void Route(FeatureCatalog catalog, EventBatch events, int index, long offset)
    {
        bool count = offset >= _countFromOffset;
        var routes = catalog.RoutesFor(events[index].TypeId);
        if (routes.IsEmpty)
        {
            if (count)
            {
                _withoutFeatures++;
            }

            return;
        }

        for (int r = 0; r < routes.Length; r++)
        {
            var entity = routes[r].Entity;
            if (!entity.TryGetKey(events, index, out int keyId, out ulong routeHash))
            {
                if (count)
                {
                    _missingKey.AddOrUpdate(entity.Name, 1, static (_, n) => n + 1);
                }

                continue;
            }

            int shard = ShardOf(routeHash);
            if (_replayFrom is { } from && offset < from[shard])
            {
                continue;
            }

            _pending[shard].Add(new WorkItem(index, r, keyId));
        }
    }

    /// <summary>The shard an entity key's route hash belongs to (the high 32 bits, scaled to the shard count).</summary>
    private int ShardOf(ulong routeHash) => (int)(((routeHash >> 32) * (ulong)_shards.Length) >> 32);

    private long Dispatch(SharedBatch? shared, FeatureCatalog catalog, long nowMs, CheckpointRequest? checkpoint = null, long logEnd = 0)
    {
        long sequence = ++_sequence;
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

        return sequence;
    }

    private SharedBatch RentBatch() => _batchPool.TryTake(out var batch) ? batch : new SharedBatch();

    private void Reject(ref List<EventError>? rejected, int index, EventRejectReason reason, string message)
    {
        Interlocked.Increment(ref _rejectedByReason[(int)reason]);
        (rejected ??= []).Add(new EventError(index, reason, "time", message));
    }
}
