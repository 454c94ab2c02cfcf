using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine.Log;

/// <summary>
/// The append-only event log: segment files of checksummed records, written by one thread with group commit.
/// <see cref="Append"/> (called by the engine's router, in routing order) encodes accepted events into a pending
/// buffer and returns their end offset; the writer swaps the buffer out, writes it with one call, syncs it as the
/// <see cref="Durability"/> policy says, and completes the waiters of <see cref="WaitDurableAsync"/>. Pending bytes
/// are bounded (<see cref="StorageOptions.MaxPendingBytes"/>): a slow disk slows the producer. A write failure (a
/// full disk, a vanished directory) stops the log for good: nothing more is acknowledged, and every later append
/// fails with the same <see cref="StorageException"/> until the process restarts and recovers from what is on disk.
/// </summary>
internal sealed partial class EventLog : IDisposable
{
    /// <summary>Most events in one record; a larger append is split.</summary>
    private const int MaxEventsPerRecord = 16_384;

    private readonly string _directory;
    private readonly StorageOptions _options;
    private readonly TimeProvider _time;
    private readonly StringInterner _strings;
    private readonly LogRecordCodec _codec = new();
    private readonly object _gate = new(); // Monitor: appends, the writer's swap and the waiters.
    private readonly List<(long Offset, TaskCompletionSource Done, bool NeedsSync)> _waiters = [];
    private readonly List<SegmentInfo> _segments;
    private readonly Lock _segmentsLock = new();
    private readonly object _visibleSignal = new(); // Monitor: the writer pulses it when _visibleEnd moves, shards wait on it.
    private RecordBuffer _pending = new();
    private RecordBuffer _writing = new();
    private FileStream? _active;
    private long _activeBytes;
    private long _appendedEnd;
    private long _writtenEnd;
    private long _syncedEnd;
    private long _visibleEnd; // Events below it were written (synced under 'always'): shards may apply them.
    private volatile bool _writerDone;
    private long _syncRequested;
    private long _pendingMaxTimeMs = long.MinValue;
    private long _lastSyncTicks;
    private long _lastExistsCheckTicks;
    private bool _stopping;
    private bool _abandoned; // Abandon: the writer stops at once, writing nothing more.
    private StorageException? _failure;
    private Thread? _writer;

    private EventLog(string directory, StorageOptions options, TimeProvider time, StringInterner strings, List<SegmentInfo> segments, long end)
    {
        _directory = directory;
        _options = options;
        _time = time;
        _strings = strings;
        _segments = segments;
        _appendedEnd = _writtenEnd = _syncedEnd = _visibleEnd = end;
    }

    /// <summary>Offset the next appended event gets.</summary>
    public long EndOffset
    {
        get
        {
            lock (_gate)
            {
                return _appendedEnd;
            }
        }
    }

    /// <summary>Offset of the oldest event still in the log (segments before it were deleted by retention).</summary>
    public long FirstOffset
    {
        get
        {
            lock (_segmentsLock)
            {
                return _segments[0].FirstOffset;
            }
        }
    }

    /// <summary>Events below this offset are as safe as the durability policy promises (acknowledge up to here).</summary>
    public long DurableOffset
    {
        get
        {
            lock (_gate)
            {
                return AckableEnd;
            }
        }
    }

    /// <summary>Events below this offset are written (synced too under <see cref="Durability.Always"/>): readers may see them.</summary>
    public long VisibleOffset => Interlocked.Read(ref _visibleEnd);

    /// <summary>True once <see cref="Start"/> has started the writer.</summary>
    public bool IsStarted => _writer is not null;

    /// <summary>Why the log stopped, or null while it works.</summary>
    public StorageException? Failure => Volatile.Read(ref _failure);

    /// <summary>Segments and their total size now.</summary>
    public (int Segments, long Bytes) Size
    {
        get
        {
            lock (_segmentsLock)
            {
                return (_segments.Count, _segments.Sum(s => s.Bytes));
            }
        }
    }

    private long AckableEnd => _options.Durability switch
    {
        Durability.Always => _syncedEnd,
        Durability.Interval => _writtenEnd,
        _ => _appendedEnd,
    };

    /// <summary>Starts the writer thread (after recovery has read what it needs).</summary>
    public void Start()
    {
        _lastSyncTicks = _lastExistsCheckTicks = Environment.TickCount64;
        _writer = new Thread(RunWriter) { IsBackground = true, Name = "freshet-log-writer" };
        _writer.Start();
    }

    /// <summary>
    /// Appends events <paramref name="start"/>..+<paramref name="count"/> of <paramref name="batch"/> and returns the
    /// offset after the last of them. Blocks while the pending buffer is full. Throws the log's
    /// <see cref="StorageException"/> once it has failed.
    /// </summary>
    public long Append(EventBatch batch, int start, int count)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            while (_pending.Length >= _options.MaxPendingBytes && _failure is null && !_stopping)
            {
                Monitor.Wait(_gate);
            }

            if (_failure is not null)
            {
                throw _failure;
            }

            ObjectDisposedException.ThrowIf(_stopping, this);
            for (int i = start; i < start + count; i += MaxEventsPerRecord)
            {
                int n = Math.Min(MaxEventsPerRecord, start + count - i);
                _pendingMaxTimeMs = Math.Max(_pendingMaxTimeMs, _codec.Encode(batch, i, n, _appendedEnd, now, _strings, _pending));
                _appendedEnd += n;
            }

            Monitor.PulseAll(_gate);
            return _appendedEnd;
        }
    }

    /// <summary>Completes when every event below <paramref name="offset"/> is as safe as the policy promises.</summary>
    public Task WaitDurableAsync(long offset) => Wait(offset, needsSync: false);

    /// <summary>Completes when every event below <paramref name="offset"/> is synced to disk, whatever the policy (checkpoints).</summary>
    public Task SyncAsync(long offset) => Wait(offset, needsSync: true);

    /// <summary>Stops taking appends, writes and syncs what is pending, and closes the active segment.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_abandoned)
            {
                return; // Abandon closed everything already.
            }

            _stopping = true;
            Monitor.PulseAll(_gate);
        }

        _writer?.Join();
        _writerDone = true;
        lock (_visibleSignal)
        {
            Monitor.PulseAll(_visibleSignal);
        }

        _active?.Dispose();
        _active = null;
        _pending.Dispose();
        _writing.Dispose();
    }

    /// <summary>
    /// Tests only: stops as a kill would leave the files. Nothing pending is written whole: half of the pending bytes
    /// reach the active segment unsynced (a write cut short, which the next open cuts off as a torn tail), the rest are
    /// lost; waiters fail. What was synced survives, as after a real crash.
    /// </summary>
    internal void Abandon()
    {
        lock (_gate)
        {
            _abandoned = true;
            _stopping = true;
            _failure ??= new StorageException(StorageProblem.Io, "the event log was abandoned (a simulated crash)");
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetException(_failure);
            }

            _waiters.Clear();
            Monitor.PulseAll(_gate);
        }

        _writer?.Join();
        _writerDone = true;
        lock (_visibleSignal)
        {
            Monitor.PulseAll(_visibleSignal);
        }

        if (_active is not null && _pending.Length > 1)
        {
            _active.Write(_pending.Written[..(_pending.Length / 2)]);
        }

        _active?.Dispose();
        _active = null;
        _pending.Dispose();
        _writing.Dispose();
    }

    private Task Wait(long offset, bool needsSync)
    {
        lock (_gate)
        {
            if (_failure is not null)
            {
                return Task.FromException(_failure);
            }

            if ((needsSync ? _syncedEnd : AckableEnd) >= offset)
            {
                return Task.CompletedTask;
            }

            if (needsSync)
            {
                _syncRequested = Math.Max(_syncRequested, offset);
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((offset, done, needsSync));
            Monitor.PulseAll(_gate);
            return done.Task;
        }
    }

    /// <summary>Completes the waiters whose offsets are now safe. Called under <see cref="_gate"/>.</summary>
    private void CompleteWaiters()
    {
        long ackable = AckableEnd;
        for (int i = _waiters.Count - 1; i >= 0; i--)
        {
            var (offset, done, needsSync) = _waiters[i];
            if (offset <= (needsSync ? _syncedEnd : ackable))
            {
                done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <summary>
    /// Blocks until every event below <paramref name="offset"/> may become visible to queries: written by the log
    /// (synced too under <see cref="Durability.Always"/>), so nothing a client was refused (507) is ever read. False
    /// when the log failed or closed first: those events are not in the log and must not be applied. Shards call it
    /// before applying a batch; the cost is one group commit of freshness (plus the fsync under 'always').
    /// </summary>
    public bool WaitVisible(long offset)
    {
        lock (_visibleSignal)
        {
            while (true)
            {
                if (Interlocked.Read(ref _visibleEnd) >= offset)
                {
                    return true;
                }

                if (Volatile.Read(ref _failure) is not null || _writerDone)
                {
                    return false;
                }

                Monitor.Wait(_visibleSignal);
            }
        }
    }

    /// <summary>Publishes the end below which events may be read, and wakes the shards waiting for it. Called under <see cref="_gate"/>.</summary>
    private void SignalVisible()
    {
        Interlocked.Exchange(ref _visibleEnd, _options.Durability == Durability.Always ? _syncedEnd : _writtenEnd);
        lock (_visibleSignal)
        {
            Monitor.PulseAll(_visibleSignal);
        }
    }

    private void Fail(Exception error, string doing, string path)
    {
        var failure = error switch
        {
            StorageException s => s,
            IOException io => StorageException.From(io, doing, path),
            UnauthorizedAccessException denied => StorageException.From(denied, doing, path),
            _ => new StorageException(StorageProblem.Io, $"could not {doing} {path}: {error.Message}", error),
        };
        _options.Diagnostics?.Invoke($"the event log failed: {failure.Message}; no more events are accepted until a restart");
        lock (_gate)
        {
            _failure ??= failure;
            foreach (var waiter in _waiters)
            {
                waiter.Done.TrySetException(_failure);
            }

            _waiters.Clear();
            Monitor.PulseAll(_gate);
        }

        lock (_visibleSignal)
        {
            Monitor.PulseAll(_visibleSignal);
        }
    }

    /// <summary>One segment file: where it starts, its size, when it was last written and its newest event time.</summary>
    private sealed class SegmentInfo(long firstOffset, string path)
    {
        public long FirstOffset { get; } = firstOffset;

        public string Path { get; } = path;

        public long Bytes { get; set; }

        public long LastWriteMs { get; set; }

        /// <summary>Newest event time in the segment; long.MinValue until known (read lazily from record headers).</summary>
        public long MaxEventTimeMs { get; set; } = long.MinValue;
    }
}
