using System.Threading.Channels;
using Freshet.Aggregation;
using Freshet.Engine.Tiles;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Shards;

/// <summary>
/// One single-writer partition of state. Its loop takes <see cref="ShardWork"/> from a bounded queue and folds each
/// event into the finest open tile of every feature it feeds; closed tiles roll up into coarser ones and expired
/// tiles are swept. Readers take <see cref="_lock"/>; the writer holds it for at most <see cref="ChunkSize"/> events
/// at a time, so a read waits microseconds, and every read sees a prefix of the shard's event sequence.
/// </summary>
internal sealed partial class Shard
{
    /// <summary>Events applied per lock hold: small enough that readers never wait long, big enough to amortize the lock.</summary>
    private const int ChunkSize = 256;

    private readonly Lock _lock = new();
    private readonly Channel<ShardWork> _queue;
    private volatile TaskCompletionSource? _paused; // Tests only: see Pause.
    private readonly StringInterner _strings;
    private readonly Action<ShardWork> _done;
    // With a data directory: blocks until the log holds events below an offset; false when it failed first.
    private readonly Func<long, bool>? _waitLogged;
    private readonly RetentionHold _hold;
    private FeatureCatalog _catalog;
    private FeatureTiles?[] _features;
    private long _nowMs = long.MinValue;
    private long _closedThroughMs = long.MinValue;

    /// <summary>
    /// True between the first and the last chunk of a roll-up: some open coarse tiles then hold children past
    /// <see cref="_closedThroughMs"/>, so reads use complete tiles only (see <see cref="Windows.WindowCoverEnumerator"/>).
    /// </summary>
    private bool _rollingUp;
    private long _appliedSequence;
    private long _eventsApplied;
    private Task? _loop;

    public Shard(int index, FeatureCatalog catalog, StringInterner strings, int queueCapacity, Action<ShardWork> done, Func<long, bool>? waitLogged = null, RetentionHold? hold = null)
    {
        Index = index;
        _hold = hold ?? new RetentionHold();
        _waitLogged = waitLogged;
        _strings = strings;
        _done = done;
        _catalog = catalog;
        _features = BuildFeatures(catalog, []);
        _queue = Channel.CreateBounded<ShardWork>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
            // Wake the shard (or a producer blocked on a full queue) on the thread that made room or work, not through
            // the thread pool: blocked producers may be holding every pool thread, and the shard must not wait for one.
            AllowSynchronousContinuations = true,
        });
    }

    public int Index { get; }

    public long AppliedSequence => Volatile.Read(ref _appliedSequence);

    public long EventsApplied => Volatile.Read(ref _eventsApplied);

    public int QueueDepth => _queue.Reader.Count;

    /// <summary>
    /// Starts the shard's loop on a thread of its own, not the thread pool: producers may block on a full queue (and
    /// the HTTP server's requests run on the pool), so a shard waiting for a pool thread could starve the very work
    /// that would empty its queue.
    /// </summary>
    public void Start() => _loop = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Queues work; blocks while the queue is full (backpressure reaches the producer).</summary>
    public void Enqueue(in ShardWork work)
    {
        if (!_queue.Writer.TryWrite(work))
        {
            _queue.Writer.WriteAsync(work).AsTask().GetAwaiter().GetResult();
        }
    }

    public Task StopAsync()
    {
        _queue.Writer.TryComplete();
        return _loop ?? Task.CompletedTask;
    }

    private void Run()
    {
        Thread.CurrentThread.Name = $"freshet-shard-{Index}";
        var reader = _queue.Reader;
        while (true)
        {
            if (_paused is { } paused)
            {
                paused.Task.Wait();
            }

            if (!reader.TryRead(out var work))
            {
                var more = reader.WaitToReadAsync();
                if (!(more.IsCompleted ? more.Result : more.AsTask().GetAwaiter().GetResult()))
                {
                    return;
                }

                continue;
            }

            Apply(work);
        }
    }

    /// <summary>
    /// Stops taking work from the queue until <see cref="Resume"/> (after the work in hand), so tests can fill the
    /// queue and see backpressure deterministically.
    /// </summary>
    internal void Pause() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    /// <summary>Applies one unit of work. Public to the engine so tests and benchmarks can drive a shard inline.</summary>
    internal void Apply(in ShardWork work)
    {
        if (!ReferenceEquals(work.Catalog, _catalog))
        {
            lock (_lock)
            {
                _features = BuildFeatures(work.Catalog, _features);
                _catalog = work.Catalog;
            }
        }

        // Events become visible only once their log write succeeded: a batch the log then refused (a full disk) is
        // dropped here, as its clients were told (507).
        bool logged = work.LogEnd <= 0 || _waitLogged is null || _waitLogged(work.LogEnd);
        if (work.Batch is { } shared && logged)
        {
            var batch = shared.Events;
            var items = work.Items!;
            int i = 0;
            while (i < work.Count)
            {
                int end = Math.Min(i + ChunkSize, work.Count);
                lock (_lock)
                {
                    for (; i < end; i++)
                    {
                        ApplyItem(batch, items[i]);
                    }
                }
            }

            Volatile.Write(ref _eventsApplied, _eventsApplied + work.Count);
        }

        if (logged)
        {
            AdvanceClock(work.NowMs, work.Count); // Takes the lock in chunks: closing a minute's tiles can be a long job.
        }

        work.Checkpoint?.WriteShard(this);
        Volatile.Write(ref _appliedSequence, work.Sequence);
        _done(work);
    }

    private void ApplyItem(EventBatch batch, in WorkItem item)
    {
        ref readonly var e = ref batch[item.EventIndex];
        var route = _catalog.RoutesFor(e.TypeId)[item.RouteIndex];
        foreach (int featureIndex in route.FeatureIndexes)
        {
            var tiles = _features[featureIndex]!;
            var feature = tiles.Feature;
            if (!feature.Filter.IsEmpty && !feature.Filter.Matches(batch, item.EventIndex))
            {
                continue;
            }

            FieldValue value = default;
            if (feature.FieldRequirement != FieldRequirement.None
                && (!batch.TryGetField(item.EventIndex, feature.FieldId, out value) || !feature.FieldRequirement.Accepts(value.Kind)))
            {
                tiles.SkippedField++;
                continue;
            }

            long resolution = feature.Ladder.FinestMs;
            long bucket = TimeMath.BucketOf(e.TimeMs, resolution);
            var table = tiles.Table;
            int offset = table.FindOrAdd(TileTable.MakeKey(item.KeyId, 0, bucket), out bool added);
            var state = table.State(offset);
            if (added)
            {
                tiles.Aggregator.Init(state);
                tiles.Open[0].Add((bucket + 1) * resolution, new OpenTile(item.KeyId, bucket * resolution));
            }

            tiles.Aggregator.Update(state, value, e.TimeMs);
        }
    }

    /// <summary>Per-feature state for a catalog, reusing the tiles of features whose state fingerprint is unchanged.</summary>
    private FeatureTiles?[] BuildFeatures(FeatureCatalog catalog, FeatureTiles?[] previous)
    {
        var reusable = previous.Where(p => p is not null).ToDictionary(p => p!.Feature.StateFingerprint, StringComparer.Ordinal);
        var result = new FeatureTiles?[catalog.Features.Length];
        foreach (var feature in catalog.Features)
        {
            if (feature.IsDerived)
            {
                continue;
            }

            if (reusable.Remove(feature.StateFingerprint, out var kept))
            {
                kept!.Feature = feature;
                result[feature.Index] = kept;
            }
            else
            {
                result[feature.Index] = new FeatureTiles(feature, feature.CreateAggregator(_strings));
            }
        }

        return result;
    }
}
