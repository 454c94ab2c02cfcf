using System.Buffers.Binary;
using System.Diagnostics;
using System.Threading.Channels;
using Freshet.Contracts;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;
using Freshet.Hashing;
using Freshet.Learning.Pipeline;
using Freshet.Seams;
using Microsoft.Extensions.Hosting;

namespace Freshet.Server.Learning;

/// <summary>
/// Runs the models of a models file on the engine's stream: the engine shows each batch of accepted events (in log
/// order, with the log offset of its first event) to <see cref="OnAccepted"/>, which copies it into a bounded queue;
/// one learner thread feeds every model in that order. Learning never slows ingest: when the learner falls behind by
/// the whole queue, batches are skipped and counted (<see cref="SkippedEvents"/>, in <c>GET /v1/models</c>).
/// <para>
/// With a state directory (the data directory's <c>models/</c>), every model's state is saved with the offset of
/// the next event it would learn — every save interval (30 s by default) and at a clean stop. On start each model loads
/// its state (when its definition is unchanged) and learns the logged events from its offset to the log's end before
/// the stream resumes, so a restart, even after kill -9, continues where the stream is; a new model learns the
/// whole retained log.
/// </para>
/// <para>
/// Attribution windows close on the stream's clock: every event moves it, and in wall-clock mode a tick once a second
/// moves it while no events come, so an idle stream's exposures still get their final labels. <see cref="FlushAsync"/>
/// waits until the models have learned every event accepted before it and, at the end of a stream (a replay), closes
/// every open window, so the figures are final.
/// </para>
/// </summary>
internal sealed class LearningService : IHostedService
{
    private const int QueueBatches = 256;
    private static ReadOnlySpan<byte> Magic => "FRSHMODL"u8;
    private const int FormatVersion = 1;

    private readonly TimeSpan _saveInterval;

    private readonly FreshetEngine _engine; // The log catch-up, the storage check and the live features; the rest goes through the seams.
    private readonly IEventRouter _router;
    private readonly IAcceptedFeed _feed;
    private readonly string? _stateDirectory;
    private readonly Slot[] _slots;
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private readonly Channel<Work> _queue = Channel.CreateBounded<Work>(new BoundedChannelOptions(QueueBatches)
    {
        SingleReader = true,
        // Batches never wait (TryWrite, counting what does not fit); only a flush request waits for room.
        FullMode = BoundedChannelFullMode.Wait,
        // Wake the learner on the writing thread, not through the thread pool, which an ingest overload can starve.
        AllowSynchronousContinuations = true,
    });

    private readonly System.Collections.Concurrent.ConcurrentBag<EventBatch> _spare = [];
    private readonly Lock _failureLock = new();
    // Stream positions (the observer's offsets): what the engine showed, and what the learner has finished with.
    private readonly Lock _positionLock = new();
    private long _acceptedThrough;
    private long _fedThrough;
    private int _queuedBatches;
    // Some model reads live features: the learner then reads a batch only once the shards applied it, and holds the
    // engine's retention at the oldest batch it has yet to learn (see ReaderLiveFeatures), so reads do not depend on timing.
    private readonly bool _readsLive;
    private readonly long _readLeadMs;
    private Thread? _learner;
    private ITimer? _ticker;
    private long _skipped;
    private long _learned;
    private long _replayed;
    private long _failures;
    private string? _lastFailure;

    /// <summary>The models of <paramref name="models"/> on <paramref name="engine"/>'s stream, their state in <paramref name="stateDirectory"/> (null: memory only), saved every <paramref name="saveInterval"/>.</summary>
    public LearningService(FreshetEngine engine, ModelSet models, string? stateDirectory = null, TimeSpan? saveInterval = null)
    {
        _engine = engine;
        _router = engine.Router;
        _feed = engine.Feed;
        _saveInterval = saveInterval ?? TimeSpan.FromSeconds(30);
        if (ModelDefinitionLoader.Check(models, engine.Catalog) is { Count: > 0 } problems)
        {
            throw new ModelDefinitionException(problems);
        }

        var live = new ReaderLiveFeatures(engine.Reader);
        ClickModels = [.. models.ClickModels.Select(d => new ClickModel(d, engine.Strings, live))];
        Recommenders = [.. models.Recommenders.Select(d => new Recommender(d, engine.Strings))];
        _slots =
        [
            .. ClickModels.Select(m => new Slot(m.Definition.Name, m.Definition.Fingerprint(), m.Observe, m.Save, m.Load)),
            .. Recommenders.Select(r => new Slot(r.Definition.Name, r.Definition.Fingerprint(), r.Observe, r.Save, r.Load)),
        ];
        _stateDirectory = engine.GetStorageStats() is null ? null : stateDirectory;
        _readsLive = ClickModels.Any(m => !m.Definition.Live.IsEmpty);
        _readLeadMs = ReaderLiveFeatures.ReadLeadMs(engine.Catalog);
    }

    public IReadOnlyList<ClickModel> ClickModels { get; }

    public IReadOnlyList<Recommender> Recommenders { get; }

    /// <summary>Accepted events the models skipped because the learner was a whole queue behind.</summary>
    public long SkippedEvents => Interlocked.Read(ref _skipped);

    /// <summary>Accepted events the models have seen from the stream.</summary>
    public long LearnedEvents => Interlocked.Read(ref _learned);

    /// <summary>Logged events the models learned at start, to catch up with the stream (after a restart or when new).</summary>
    public long ReplayedEvents => Interlocked.Read(ref _replayed);

    /// <summary>Events a model failed on (the model skipped them), and the last failure.</summary>
    public (long Count, string? Last) Failures
    {
        get
        {
            lock (_failureLock)
            {
                return (_failures, _lastFailure);
            }
        }
    }

    /// <summary>
    /// Where the learner is in the stream, in log positions (offsets; in memory, the count of events accepted before):
    /// <c>AcceptedThrough</c> is the position after the last accepted event, <c>LearnedThrough</c> the position before
    /// which every accepted event has been learned by every model, or skipped. A client that saw its events accepted
    /// waits for the models by reading <c>AcceptedThrough</c> once and then until <c>LearnedThrough</c> reaches it.
    /// </summary>
    public (long AcceptedThrough, long LearnedThrough) Positions
    {
        get
        {
            lock (_positionLock)
            {
                // With nothing queued, everything shown was learned or skipped (a skip is never queued).
                return (_acceptedThrough, _queuedBatches == 0 ? _acceptedThrough : _fedThrough);
            }
        }
    }

    /// <summary>Every model's live figures and the learner's counters, as <c>GET /v1/models</c> answers them.</summary>
    public ModelsResponse Describe()
    {
        var models = new List<ModelDto>();
        foreach (var model in ClickModels)
        {
            var f = model.Figures();
            var labels = f.Labels;
            models.Add(new ModelDto(model.Definition.Name, "click", ExposuresScored: labels.Exposures, RepeatedExposures: labels.RepeatedExposures,
                Updates: f.Updates, Positives: labels.Positives, Negatives: labels.Negatives, LabelsFinal: labels.Final, Pending: labels.Pending,
                Evicted: labels.Evicted, UnmatchedOutcomes: labels.UnmatchedOutcomes, Quality: Dto(f.Quality), ConstantRate: Dto(f.Constant),
                Sample: model.Definition.Sample));
        }

        foreach (var recommender in Recommenders)
        {
            var f = recommender.Figures();
            models.Add(new ModelDto(recommender.Definition.Name, "recommender", Users: f.Users, Items: f.Items, Interactions: f.Interactions, Sample: recommender.Definition.Sample,
                Ranking: Ranking(f.Quality), MostPopular: Ranking(f.MostPopular)));
        }

        var (failures, lastFailure) = Failures;
        var (acceptedThrough, learnedThrough) = Positions;
        return new ModelsResponse(models, LearnedEvents, SkippedEvents, ReplayedEvents, failures, lastFailure, acceptedThrough, learnedThrough, acceptedThrough - learnedThrough);

        static QualityDto Dto(QualityFigures q) => new(q.Count, q.Positives, Finite(q.LogLoss), Finite(q.Auc), Finite(q.NormalizedEntropy), Finite(q.Calibration));

        static RankingDto Ranking(RankingFigures r) => new(r.K, r.Count, r.Hits, Finite(r.HitRate), Finite(r.Ndcg));

        static double? Finite(double value) => double.IsFinite(value) ? value : null;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_slots.Length == 0)
        {
            return Task.CompletedTask; // Nothing to learn: do not copy the stream.
        }

        if (_stateDirectory is not null)
        {
            Directory.CreateDirectory(_stateDirectory);
            long first = _engine.GetStorageStats()!.LogFirstOffset;
            foreach (var slot in _slots)
            {
                slot.NextOffset = TryLoad(slot) ?? first;
            }

            CatchUp();
        }

        long start = _stateDirectory is null ? _router.GetStats().Accepted : _slots.Max(s => s.NextOffset);
        lock (_positionLock)
        {
            _acceptedThrough = _fedThrough = start;
        }

        _learner = new Thread(Learn) { IsBackground = true, Name = "freshet-learner" };
        _learner.Start();
        _feed.Observe(OnAccepted);
        if (ClickModels.Count > 0)
        {
            _ticker = TimeProvider.System.CreateTimer(_ => Tick(), null, TickInterval, TickInterval);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        if (_slots.Length == 0)
        {
            return Task.CompletedTask;
        }

        _feed.Observe(null);
        _ticker?.Dispose();
        _queue.Writer.TryComplete();
        _learner?.Join();
        SaveAll();
        return Task.CompletedTask;
    }

    /// <summary>Learns the logged events each model has not seen yet, before the stream resumes.</summary>
    private void CatchUp()
    {
        long from = _slots.Min(s => s.NextOffset);
        try
        {
            // The embedded engine's log has one partition, whose positions are the offsets the observer shows.
            var log = _engine.Log!;
            long read = 0;
            log.Read(0, new LogPosition(from), _engine.Strings, (batch, first) =>
            {
                Feed(batch, first.Offset);
                read += batch.Count;
            });
            Interlocked.Add(ref _replayed, read);

            // The whole log is learned and nothing else is accepted yet: the engine's clock is the stream's.
            AdvanceClickModels(_router.NowMs);
        }
        catch (StorageException e)
        {
            Fail(e, "catching up from the event log");
        }
    }

    /// <summary>Feeds each model the events of a batch it has not learned yet, in order.</summary>
    private void Feed(EventBatch batch, long firstOffset)
    {
        foreach (var slot in _slots)
        {
            for (int i = (int)Math.Clamp(slot.NextOffset - firstOffset, 0, batch.Count); i < batch.Count; i++)
            {
                try
                {
                    slot.Observe(batch, i);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Fail(e, $"model '{slot.Name}'");
                }
            }

            slot.NextOffset = Math.Max(slot.NextOffset, firstOffset + batch.Count);
        }
    }

    /// <summary>Under the engine's ingest lock: copy and queue, never wait, never throw.</summary>
    private void OnAccepted(EventBatch events, int partition, LogPosition first, long sequence)
    {
        long firstOffset = first.Offset; // The embedded engine has one partition.
        try
        {
            if (!_spare.TryTake(out var copy))
            {
                copy = new EventBatch(events.Count);
            }

            copy.Clear();
            for (int i = 0; i < events.Count; i++)
            {
                copy.CopyFrom(events, i);
            }

            lock (_positionLock)
            {
                if (_readsLive && _queuedBatches == 0)
                {
                    // Held before the shards see this batch, so no tile its reads need can expire first.
                    _feed.HoldRetention(OldestTimeMs(copy) - _readLeadMs);
                }

                _acceptedThrough = firstOffset + copy.Count;
                _queuedBatches++;
            }

            if (!_queue.Writer.TryWrite(new Work(copy, firstOffset, sequence)))
            {
                lock (_positionLock)
                {
                    if (--_queuedBatches == 0 && _readsLive)
                    {
                        _feed.HoldRetention(long.MaxValue);
                    }
                }

                Interlocked.Add(ref _skipped, copy.Count);
                _spare.Add(copy);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let learning fail an ingest: the events are accepted either way.
            Interlocked.Add(ref _skipped, events.Count);
            Fail(e, "queueing events");
        }
    }

    private void Learn()
    {
        var reader = _queue.Reader;
        var sinceSave = Stopwatch.StartNew();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                if (item.Batch is null)
                {
                    Control(item);
                    continue;
                }

                BeforeFeeding?.Invoke();
                if (_readsLive && !_feed.WaitApplied(item.Sequence, AppliedTimeout))
                {
                    Fail(new TimeoutException($"the shards did not apply batch {item.Sequence} within {AppliedTimeout.TotalSeconds:F0} s"), "reading live features");
                }

                Feed(item.Batch, item.FirstOffset);
                if (_stateDirectory is not null && sinceSave.Elapsed >= _saveInterval)
                {
                    SaveAll();
                    sinceSave.Restart();
                }

                // Counted last: once a batch shows as learned, its save (when one was due) is on disk too.
                int count = item.Batch.Count;
                _spare.Add(item.Batch);
                Interlocked.Add(ref _learned, count);
                lock (_positionLock)
                {
                    _queuedBatches--;
                    _fedThrough = item.FirstOffset + count;
                    if (_readsLive)
                    {
                        // The next batch to learn, when it is queued already; otherwise OnAccepted sets the hold (or
                        // is about to queue one, and the hold stays at this batch's, which is older: safe).
                        if (_queuedBatches == 0)
                        {
                            _feed.HoldRetention(long.MaxValue);
                        }
                        else if (reader.TryPeek(out var next) && next.Batch is not null)
                        {
                            // (A tick or flush next: the hold stays at this batch's, older than any batch behind it.)
                            _feed.HoldRetention(OldestTimeMs(next.Batch) - _readLeadMs);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// Waits until the models have learned every event accepted before this call (batches skipped while the learner was
    /// a whole queue behind are not waited for: <c>events_skipped</c> counts them), then, with
    /// <paramref name="closeWindows"/>, closes every open attribution window: the stream has ended, so exposures
    /// without an outcome get their final negative label and the click models' figures cover every exposure. False
    /// when <paramref name="timeout"/> passed first (closing twice is harmless, so the caller may simply retry).
    /// </summary>
    public async Task<bool> FlushAsync(bool closeWindows, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_learner is null)
        {
            return true; // No models: nothing to wait for.
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            // Every batch acknowledged before this request is already queued (the engine queues it while it ingests).
            await _queue.Writer.WriteAsync(new Work(null, 0, Flush: new FlushRequest(closeWindows, done)), deadline.Token).ConfigureAwait(false);
            await done.Task.WaitAsync(deadline.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
        catch (ChannelClosedException)
        {
            return false; // Stopping.
        }
    }

    /// <summary>Wall-clock mode: the stream's clock moves without events, so windows still close on time.</summary>
    private void Tick()
    {
        if (_router.Catalog.Settings.Clock == ClockMode.Wall)
        {
            _queue.Writer.TryWrite(new Work(null, 0, TickMs: _router.NowMs)); // A tick that does not fit: the next one will.
        }
    }

    /// <summary>On the learner thread, in stream order: a clock tick or a flush request.</summary>
    private void Control(Work item)
    {
        if (item.Flush is not { } flush)
        {
            AdvanceClickModels(item.TickMs);
            return;
        }

        if (flush.CloseWindows)
        {
            foreach (var model in ClickModels)
            {
                model.Flush();
            }

            // The closed windows are not in the log: save them now, so a restart does not reopen them.
            SaveAll();
        }

        flush.Done.TrySetResult();
    }

    private void AdvanceClickModels(long nowMs)
    {
        if (nowMs == long.MinValue)
        {
            return;
        }

        foreach (var model in ClickModels)
        {
            model.AdvanceTo(nowMs);
        }
    }

    private static readonly TimeSpan AppliedTimeout = TimeSpan.FromSeconds(30);

    private static long OldestTimeMs(EventBatch batch)
    {
        long oldest = long.MaxValue;
        for (int i = 0; i < batch.Count; i++)
        {
            oldest = Math.Min(oldest, batch[i].TimeMs);
        }

        return oldest;
    }

    /// <summary>Tests only: runs on the learner's thread before each batch of the stream is fed to the models.</summary>
    internal Action? BeforeFeeding { get; set; }

    /// <summary>Saves every model's state with its next offset: written beside, synced, then renamed over the old file.</summary>
    private void SaveAll()
    {
        if (_stateDirectory is null)
        {
            return;
        }

        Span<byte> check = stackalloc byte[8];
        foreach (var slot in _slots)
        {
            try
            {
                using var body = new MemoryStream();
                using (var w = new BinaryWriter(body, System.Text.Encoding.UTF8, leaveOpen: true))
                {
                    w.Write(Magic);
                    w.Write(FormatVersion);
                    w.Write(slot.Fingerprint);
                    w.Write(slot.NextOffset);
                    slot.Save(w);
                }

                var bytes = body.GetBuffer().AsSpan(0, (int)body.Length);
                BinaryPrimitives.WriteUInt64LittleEndian(check, XxHash64.Hash(bytes));
                string path = PathOf(slot);
                using (var file = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write, FileShare.None))
                {
                    file.Write(bytes);
                    file.Write(check);
                    file.Flush(flushToDisk: true);
                }

                File.Move(path + ".tmp", path, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Fail(e, $"saving model '{slot.Name}'");
            }
        }
    }

    /// <summary>Loads a model's saved state; returns its next offset, or null to start afresh (none, changed definition, damaged).</summary>
    private long? TryLoad(Slot slot)
    {
        string path = PathOf(slot);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var all = File.ReadAllBytes(path);
            if (all.Length < 16 || BinaryPrimitives.ReadUInt64LittleEndian(all.AsSpan(all.Length - 8)) != XxHash64.Hash(all.AsSpan(0, all.Length - 8)))
            {
                throw new InvalidDataException("damaged (checksum mismatch)");
            }

            using var r = new BinaryReader(new MemoryStream(all, 0, all.Length - 8));
            if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic) || r.ReadInt32() != FormatVersion)
            {
                throw new InvalidDataException("not a model state file of this version");
            }

            if (r.ReadString() != slot.Fingerprint)
            {
                return null; // The definition changed: the model learns the retained log afresh.
            }

            long next = r.ReadInt64();
            slot.Load(r);
            return next;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or UnauthorizedAccessException)
        {
            Fail(e, $"loading {path} (the model starts afresh)");
            return null;
        }
    }

    private string PathOf(Slot slot) => Path.Combine(_stateDirectory!, slot.Name + ".model");

    private void Fail(Exception e, string where)
    {
        lock (_failureLock)
        {
            _failures++;
            _lastFailure = $"{where}: {e.GetType().Name}: {e.Message}";
        }
    }

    /// <summary>What the learner takes, in order: a batch of accepted events, or (no batch) a clock tick or a flush request.</summary>
    private readonly record struct Work(EventBatch? Batch, long FirstOffset, long Sequence = 0, long TickMs = long.MinValue, FlushRequest? Flush = null);

    private sealed record FlushRequest(bool CloseWindows, TaskCompletionSource Done);

    /// <summary>One model as the service drives it.</summary>
    private sealed class Slot(string name, string fingerprint, Action<EventBatch, int> observe, Action<BinaryWriter> save, Action<BinaryReader> load)
    {
        public string Name { get; } = name;

        public string Fingerprint { get; } = fingerprint;

        /// <summary>Offset of the next event this model would learn.</summary>
        public long NextOffset { get; set; }

        public void Observe(EventBatch batch, int index) => observe(batch, index);

        public void Save(BinaryWriter w) => save(w);

        public void Load(BinaryReader r) => load(r);
    }
}
