using System.Diagnostics;
using Freshet.Seams;
using Freshet.Engine.Checkpoints;
using Freshet.Engine.Shards;
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

    /// <summary>
    /// The event log, for readers beside the features (a model that saved its state rejoins the stream by reading it
    /// from its position; backfill); null for an in-memory engine. The embedded engine has one partition
    /// (<see cref="IEventLog.Partitions"/> is 1) whose positions are the log offsets the stats and the accepted-stream
    /// observer report. Appends belong to the engine's router alone.
    /// </summary>
    public IEventLog? Log => _storage?.Log;

    /// <summary>The log, checkpoint and failure figures; null for an in-memory engine.</summary>
    public StorageStats? GetStorageStats()
    {
        if (_storage is not null)
        {
            var log = _storage.Log;
            var (segments, bytes) = log.Size;
            long last = Interlocked.Read(ref _lastCheckpointOffset);
            const int partition = EngineStorage.Partition;
            return new StorageStats(_storage.Directory.Path, _storage.Options.Durability, log.FirstOf(partition).Offset, log.EndOf(partition).Offset,
                log.DurableOf(partition).Offset, segments, bytes,
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
        CheckpointRequest? request = null;
        int markEpoch = 0;
        Task<PartitionCheckpoint> save;
        lock (_router.IngestLock)
        {
            if (_router.IsStopped)
            {
                return null;
            }

            var position = storage.Log.EndOf(EngineStorage.Partition);
            long last = Interlocked.Read(ref _lastCheckpointOffset);
            if (position.Offset == last || (position.Offset == 0 && last < 0))
            {
                return null; // Nothing logged since the last checkpoint (or ever): the state on disk already says it all.
            }

            var catalog = _router.Catalog;
            // The save calls this before it returns, still under the lock: everything routed so far is below the
            // position, and the marker follows it through every shard queue. The rest (waiting for the shards, the
            // manifest, syncing the log) runs outside the lock.
            save = storage.Checkpoints.SaveAsync(EngineStorage.Partition, position, (writer, _) =>
            {
                var state = _router.Capture();
                // Promotions from here on stamp a newer epoch: ids stamped before it and unmarked by the shards are unused.
                markEpoch = Strings.AdvanceEpoch();
                request = new CheckpointRequest(writer, position.Offset, Shards.Length, storage.Options.FaultPoint, new StringMarks(Strings.Count));
                var manifest = new CheckpointManifest(position.Offset, WallMs, Shards.Length, state.NowMs, 0, new Dictionary<string, int>(), state.Accepted, state.Duplicates,
                    state.WithoutFeatures, catalog.Features.Where(f => !f.IsDerived).Select(f => (f.Name, f.StateFingerprint)).ToArray(), state.Dedup);
                _router.DispatchCheckpoint(request);
                return CompleteCheckpointAsync(storage, writer, request, manifest);
            });
        }

        await save.ConfigureAwait(false);
        var done = request!;

        Interlocked.Exchange(ref _lastCheckpointOffset, done.Offset);
        Interlocked.Exchange(ref _lastCheckpointMs, WallMs);
        Interlocked.Exchange(ref _lastCheckpointDurationTicks, stopwatch.Elapsed.Ticks);
        Interlocked.Increment(ref _checkpoints);
        Volatile.Write(ref _lastCheckpointError, null);

        // The checkpoint stands; tidying up after it may fail on its own (and is tried again after the next one).
        IReadOnlyList<string> deleted = [];
        try
        {
            long oldestKept = storage.Checkpoints.Prune(EngineStorage.Partition, Math.Max(1, storage.Options.CheckpointsKept))?.Offset ?? done.Offset;
            deleted = storage.Log.ApplyRetention(EngineStorage.Partition, oldestKept, NowMs);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            storage.Options.Diagnostics?.Invoke($"deleting old checkpoints or log segments failed ({error.Message}); the next checkpoint tries again");
        }

        string reclaimed = ReclaimStrings(storage, done, markEpoch);
        storage.Options.Diagnostics?.Invoke($"checkpoint at offset {done.Offset:N0} written in {stopwatch.Elapsed.TotalMilliseconds:N0} ms"
            + (deleted.Count > 0 ? $"; deleted {deleted.Count} old log segment{(deleted.Count == 1 ? "" : "s")}" : "") + reclaimed);
        return done.Offset;
    }

    /// <summary>
    /// The part of a checkpoint's save after the marker: waits for every shard's part, journals the ids they may name,
    /// writes the manifest and syncs the log through the checkpoint's position; the save then commits it.
    /// </summary>
    private static async Task CompleteCheckpointAsync(EngineStorage storage, ICheckpointWriter writer, CheckpointRequest request, CheckpointManifest manifest)
    {
        await request.Completion.ConfigureAwait(false);
        // The shard files may name any id handed out before the marker: journal them all before the commit.
        storage.Journal.Sync();
        manifest = manifest with { StringCount = storage.Journal.StringCount, KeyCounts = new Dictionary<string, int>(storage.Journal.KeyCounts, StringComparer.Ordinal) };
        using (var part = writer.CreatePart(CheckpointManifest.FileName))
        {
            manifest.Write(part);
        }

        storage.Options.FaultPoint?.Invoke("checkpoint-manifest");
        // State must never run ahead of the log: the events the checkpoint holds are synced before it counts.
        await storage.Log.SyncAsync(EngineStorage.Partition, new LogPosition(request.Offset)).ConfigureAwait(false);
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
            var damaged = storage.Log.VerifySegmentsBefore(EngineStorage.Partition, replayedFrom, token);
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
}
