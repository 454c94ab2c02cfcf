using System.Threading.Channels;
using Freshet.Events;
using Freshet.Learning.Pipeline;
using Freshet.Seams;

namespace Freshet.Learning.Hosting;

/// <summary>
/// Runs the models of a models file on the accepted stream: the accepted feed shows each batch of accepted events (in
/// log order, with the position of its first event) to <see cref="OnAccepted"/>, which copies it into a bounded queue;
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
public sealed partial class LearningHost
{
    private const int QueueBatches = 256;

    private readonly TimeSpan _saveInterval;

    private readonly IEventRouter _router;
    private readonly IAcceptedFeed _feed;
    private readonly IEventLog? _log; // The catch-up after a restart; null for an in-memory engine (no state is saved then).
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
    // Stream positions (the observer's offsets): what the feed showed, and what the learner has finished with.
    private readonly Lock _positionLock = new();
    private long _acceptedThrough;
    private long _fedThrough;
    private int _queuedBatches;
    // Some model reads live features: the learner then reads a batch only once the shards applied it, and holds the
    // feed's retention at the oldest batch it has yet to learn (see ReaderLiveFeatures), so reads do not depend on timing.
    private readonly bool _readsLive;
    private readonly long _readLeadMs;
    private Thread? _learner;
    private ITimer? _ticker;
    private long _skipped;
    private long _learned;
    private long _replayed;
    private long _failures;
    private string? _lastFailure;

    /// <summary>
    /// The models of <paramref name="models"/> on the stream <paramref name="router"/> accepts and <paramref name="feed"/>
    /// shows, their live features read through <paramref name="reader"/>. With a <paramref name="log"/> (the engine keeps
    /// one), their state is kept in <paramref name="stateDirectory"/> (null: memory only), saved every
    /// <paramref name="saveInterval"/>, and a restarted model catches up by reading the log.
    /// </summary>
    public LearningHost(IEventRouter router, IAcceptedFeed feed, IFeatureReader reader, IEventLog? log, ModelSet models,
        string? stateDirectory = null, TimeSpan? saveInterval = null)
    {
        _router = router;
        _feed = feed;
        _log = log;
        _saveInterval = saveInterval ?? TimeSpan.FromSeconds(30);
        if (ModelDefinitionLoader.Check(models, router.Catalog) is { Count: > 0 } problems)
        {
            throw new ModelDefinitionException(problems);
        }

        var live = new ReaderLiveFeatures(reader);
        ClickModels = [.. models.ClickModels.Select(d => new ClickModel(d, router.Strings, live))];
        Recommenders = [.. models.Recommenders.Select(d => new Recommender(d, router.Strings))];
        _slots =
        [
            .. ClickModels.Select(m => new Slot(m.Definition.Name, m.Definition.Fingerprint(), m.Observe, m.Save, m.Load)),
            .. Recommenders.Select(r => new Slot(r.Definition.Name, r.Definition.Fingerprint(), r.Observe, r.Save, r.Load)),
        ];
        _stateDirectory = log is null ? null : stateDirectory;
        _readsLive = ClickModels.Any(m => !m.Definition.Live.IsEmpty);
        _readLeadMs = ReaderLiveFeatures.ReadLeadMs(router.Catalog);
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

    /// <summary>Every model's live figures and the learner's counters (the server answers <c>GET /v1/models</c> with them).</summary>
    public LearnerFigures Figures()
    {
        var clickModels = ClickModels.Select(m => new ClickModelReport(m.Definition, m.Figures())).ToList();
        var recommenders = Recommenders.Select(r => new RecommenderReport(r.Definition, r.Figures())).ToList();
        var (failures, lastFailure) = Failures;
        var (acceptedThrough, learnedThrough) = Positions;
        return new LearnerFigures(clickModels, recommenders, LearnedEvents, SkippedEvents, ReplayedEvents, failures, lastFailure, acceptedThrough, learnedThrough);
    }

    /// <summary>Loads the saved models, learns the log they have not seen, then follows the stream on the learner thread.</summary>
    public void Start()
    {
        if (_slots.Length == 0)
        {
            return; // Nothing to learn: do not copy the stream.
        }

        if (_stateDirectory is not null)
        {
            Directory.CreateDirectory(_stateDirectory);
            long first = _log!.FirstOf(Partition).Offset;
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
    }

    /// <summary>Stops following the stream, lets the learner finish what it queued and saves every model.</summary>
    public void Stop()
    {
        if (_slots.Length == 0)
        {
            return;
        }

        _feed.Observe(null);
        _ticker?.Dispose();
        _queue.Writer.TryComplete();
        _learner?.Join();
        SaveAll();
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

    /// <summary>Tests only: runs on the learner's thread before each batch of the stream is fed to the models.</summary>
    internal Action? BeforeFeeding { get; set; }

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
}
