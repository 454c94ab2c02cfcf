using System.Diagnostics;
using Freshet.Seams;
using Freshet.Engine.Checkpoints;
using Freshet.Engine.Shards;
using Freshet.Engine.Log;
using Freshet.Engine.Storage;
using Freshet.Events;

namespace Freshet.Engine;

/// <summary>
/// The durable side of the engine: waiting until acknowledged events are safe, checkpoints (on an interval and at
/// shutdown) and log retention after each checkpoint.
/// </summary>
public sealed partial class FreshetEngine
{
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);
    private readonly CancellationTokenSource _checkpointStop = new();
    private Task? _checkpointLoop;
    private long _lastCheckpointOffset = -1;
    private long _lastCheckpointMs;
    private long _lastCheckpointDurationTicks;
    private long _checkpoints;
    private string? _lastCheckpointError;

    /// <summary>What opening the data directory found and did; null for an in-memory engine.</summary>
    public RecoveryReport? Recovery { get; private set; }

    /// <summary>True when the engine keeps an event log and checkpoints in a data directory.</summary>
    public bool IsDurable => _storage is not null;

    /// <summary>Why the event log stopped taking events (a full disk, a vanished directory), or null while it works.</summary>
    public StorageException? StorageFailure => _storage?.Log.Failure;

    /// <summary>
    /// Completes when every event acknowledged by <paramref name="result"/> is as safe as the durability policy promises
    /// (at once without a data directory). Faults with the log's <see cref="StorageException"/> when it failed first.
    /// </summary>
    public Task WaitDurableAsync(IngestResult result) => _router.WaitDurableAsync(result);

    /// <summary>The log, checkpoint and failure figures; null for an in-memory engine.</summary>
    public StorageStats? GetStorageStats()
    {
        if (_storage is not null)
        {
            var log = _storage.Log;
            var (segments, bytes) = log.Size;
            long last = Interlocked.Read(ref _lastCheckpointOffset);
            return new StorageStats(_storage.Directory.Path, _storage.Options.Durability, log.FirstOffset, log.EndOffset, log.DurableOffset, segments, bytes,
                last < 0 ? null : last,
                last < 0 ? null : DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _lastCheckpointMs)),
                last < 0 ? null : TimeSpan.FromTicks(Interlocked.Read(ref _lastCheckpointDurationTicks)),
                Interlocked.Read(ref _checkpoints), Volatile.Read(ref _lastCheckpointError), log.Failure?.Message);
        }

        return null;
    }

    /// <summary>
    /// Writes a checkpoint of every shard at the current log offset (skipped when nothing was logged since the last
    /// one), then deletes old checkpoints and the log segments no longer needed. Returns the offset checkpointed, or
    /// null when skipped. Only one runs at a time.
    /// </summary>
    public async Task<long?> CheckpointAsync(CancellationToken cancellationToken = default)
    {
        var storage = _storage ?? throw new InvalidOperationException("an in-memory engine has no checkpoints");
        await _checkpointGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await CheckpointCoreAsync(storage).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // Every failure of a checkpoint is a StorageException with a message, kept for the stats.
            var failure = error as StorageException ?? (error is UnauthorizedAccessException denied
                ? StorageException.From(denied, "write a checkpoint in", storage.Checkpoints.Directory)
                : StorageException.From((IOException)error, "write a checkpoint in", storage.Checkpoints.Directory));
            Volatile.Write(ref _lastCheckpointError, failure.Message);
            throw failure;
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    private async Task<long?> CheckpointCoreAsync(EngineStorage storage)
    {
        var stopwatch = Stopwatch.StartNew();
        CheckpointRequest request;
        CheckpointManifest manifest;
        int markEpoch;
        lock (_router.IngestLock)
        {
            if (_router.IsStopped)
            {
                return null;
            }

            long offset = storage.Log.EndOffset;
            long last = Interlocked.Read(ref _lastCheckpointOffset);
            if (offset == last || (offset == 0 && last < 0))
            {
                return null; // Nothing logged since the last checkpoint (or ever): the state on disk already says it all.
            }

            var catalog = _router.Catalog;
            var state = _router.Capture();
            // Everything routed so far is below the offset; the marker follows it through every shard queue.
            string folder = storage.Checkpoints.Begin(offset);
            // Promotions from here on stamp a newer epoch: ids stamped before it and unmarked by the shards are unused.
            markEpoch = Strings.AdvanceEpoch();
            request = new CheckpointRequest(folder, offset, _shards.Length, storage.Options.FaultPoint, new StringMarks(Strings.Count));
            manifest = new CheckpointManifest(offset, WallMs, _shards.Length, state.NowMs, 0, new Dictionary<string, int>(), state.Accepted, state.Duplicates,
                state.WithoutFeatures, catalog.Features.Where(f => !f.IsDerived).Select(f => (f.Name, f.StateFingerprint)).ToArray(), state.Dedup);
            _router.DispatchCheckpoint(request);
        }

        try
        {
            await request.Completion.ConfigureAwait(false);
            // The shard files may name any id handed out before the marker: journal them all before the commit.
            storage.Journal.Sync();
            manifest = manifest with { StringCount = storage.Journal.StringCount, KeyCounts = new Dictionary<string, int>(storage.Journal.KeyCounts, StringComparer.Ordinal) };
            manifest.Write(Path.Combine(request.Directory, CheckpointManifest.FileName));
            storage.Options.FaultPoint?.Invoke("checkpoint-manifest");
            // State must never run ahead of the log: the events the checkpoint holds are synced before it counts.
            await storage.Log.SyncAsync(request.Offset).ConfigureAwait(false);
            storage.Checkpoints.Commit(request.Directory, request.Offset);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            TryDelete(request.Directory);
            throw;
        }

        Interlocked.Exchange(ref _lastCheckpointOffset, request.Offset);
        Interlocked.Exchange(ref _lastCheckpointMs, WallMs);
        Interlocked.Exchange(ref _lastCheckpointDurationTicks, stopwatch.Elapsed.Ticks);
        Interlocked.Increment(ref _checkpoints);
        Volatile.Write(ref _lastCheckpointError, null);

        // The checkpoint stands; tidying up after it may fail on its own (and is tried again after the next one).
        IReadOnlyList<string> deleted = [];
        try
        {
            long oldestKept = storage.Checkpoints.Prune(Math.Max(1, storage.Options.CheckpointsKept)) ?? request.Offset;
            deleted = storage.Log.ApplyRetention(oldestKept, NowMs);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            storage.Options.Diagnostics?.Invoke($"deleting old checkpoints or log segments failed ({error.Message}); the next checkpoint tries again");
        }

        string reclaimed = ReclaimStrings(storage, request, markEpoch);
        storage.Options.Diagnostics?.Invoke($"checkpoint at offset {request.Offset:N0} written in {stopwatch.Elapsed.TotalMilliseconds:N0} ms"
            + (deleted.Count > 0 ? $"; deleted {deleted.Count} old log segment{(deleted.Count == 1 ? "" : "s")}" : "") + reclaimed);
        return request.Offset;
    }

    /// <summary>
    /// Checks, beside ingest, the old segments recovery did not read (<paramref name="replayedFrom"/> covers them) and
    /// warns loudly, through the diagnostics, about each damaged one; <c>freshet check</c> says the same. Reading them
    /// at start instead would make every start read the whole retained log.
    /// </summary>
    private void StartOldSegmentCheck(long replayedFrom)
    {
        var storage = _storage!;
        var token = _checkpointStop.Token;
        OldSegmentCheck = Task.Run(() =>
        {
            var damaged = storage.Log.VerifySegmentsBefore(replayedFrom, token);
            foreach (string warning in damaged)
            {
                storage.Options.Diagnostics?.Invoke(warning);
            }

            return (IReadOnlyList<string>)damaged;
        }, token);
    }

    /// <summary>Tests: the check of the old segments started after recovery, and the warnings it gave.</summary>
    internal Task<IReadOnlyList<string>>? OldSegmentCheck { get; private set; }

    private void StartCheckpointLoop()
    {
        var storage = _storage!;
        if (storage.Options.CheckpointInterval <= TimeSpan.Zero)
        {
            return;
        }

        _checkpointLoop = Task.Run(async () =>
        {
            var token = _checkpointStop.Token;
            while (!token.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(storage.Options.CheckpointInterval, token).ConfigureAwait(false);
                    await CheckpointAsync(token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception error)
                {
                    // Kept in the stats (last_checkpoint_error); the log goes on, and the next interval tries again. Nothing
                    // may end this loop but shutdown: without checkpoints the log would only grow.
                    storage.Options.Diagnostics?.Invoke($"checkpoint failed: {error.Message}");
                }
            }
        });
    }

    /// <summary>Shutdown with a data directory: stop the interval checkpoints, write a last one, let the log drain.</summary>
    private async Task CloseStorageAsync()
    {
        var storage = _storage!;
        await _checkpointStop.CancelAsync().ConfigureAwait(false);
        if (_checkpointLoop is not null)
        {
            await _checkpointLoop.ConfigureAwait(false);
        }

        if (OldSegmentCheck is { } check)
        {
            // It reads files of the directory whose lock is about to be released.
            await ((Task)check).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).ConfigureAwait(false);
        }

        if (storage.Log.Failure is null)
        {
            try
            {
                await CheckpointAsync().ConfigureAwait(false);
            }
            catch (Exception error)
            {
                // The log still holds everything acknowledged; the next start replays it.
                storage.Options.Diagnostics?.Invoke($"the last checkpoint failed ({error.Message}); the next start replays the log instead");
            }
        }
    }

    /// <summary>
    /// Reads the accepted events logged from <paramref name="fromOffset"/> to the log's end as it is now, in order, as
    /// batches with the offset of their first event: how a model that saved its state rejoins the stream after a
    /// restart. Call it before the stream resumes (the log is read as recovery reads it). Returns the events read;
    /// throws <see cref="StorageException"/> when the log no longer reaches back that far.
    /// </summary>
    public long ReadLog(long fromOffset, Action<EventBatch, long> each)
    {
        if (_storage is null)
        {
            throw new InvalidOperationException("this engine runs in memory: there is no event log to read");
        }

        var log = _storage.Log;
        long end = log.EndOffset;
        if (fromOffset >= end)
        {
            return 0;
        }

        var batch = new EventBatch(4096);
        var part = new EventBatch(4096);
        int[] ids = [];
        long read = 0;
        log.Read(fromOffset, (in LogRecordHeader header, ReadOnlySpan<byte> payload) =>
        {
            if (header.FirstOffset >= end)
            {
                return;
            }

            batch.Clear();
            LogRecordCodec.Decode(payload, header, Strings, batch, ref ids);
            int skip = (int)Math.Max(0, fromOffset - header.FirstOffset);
            int take = (int)Math.Min(batch.Count, end - header.FirstOffset);
            if (skip == 0 && take == batch.Count)
            {
                each(batch, header.FirstOffset);
                read += batch.Count;
                return;
            }

            part.Clear();
            for (int i = skip; i < take; i++)
            {
                part.CopyFrom(batch, i);
            }

            each(part, header.FirstOffset + skip);
            read += part.Count;
        });
        return read;
    }

    /// <summary>
    /// Tests and benchmarks only: stops as a kill would leave things — no last checkpoint, the directory lock released.
    /// Unlike a real kill, what was appended but not yet written still reaches the files (so under
    /// <see cref="Durability.None"/> this loses less than a kill would); the SIGKILL test of the server covers that.
    /// </summary>
    internal void SimulateCrash()
    {
        _router.Stop();
        _checkpointStop.Cancel();
        _checkpointLoop?.Wait();
        try
        {
            OldSegmentCheck?.Wait();
        }
        catch (AggregateException)
        {
            // Cancelled: it stops with the rest.
        }

        _worker.StopAsync().Wait();
        _storage?.Dispose();
    }

    private static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A half-written checkpoint folder is removed at the next start.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
