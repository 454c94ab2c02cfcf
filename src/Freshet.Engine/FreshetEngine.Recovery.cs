using System.Diagnostics;
using Freshet.Engine.Checkpoints;
using Freshet.Engine.Log;
using Freshet.Engine.Shards;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;

namespace Freshet.Engine;

/// <summary>
/// Opening a data directory: load the ids, pick the newest valid checkpoint of every shard (falling back to an older
/// one when the newest is damaged), replay the log from the oldest offset a shard needs, and report what was done.
/// </summary>
public sealed partial class FreshetEngine
{
    /// <summary>
    /// Opens (creating when missing) the data directory of <see cref="EngineOptions.Storage"/> and recovers the state
    /// it holds: the newest valid checkpoint of each shard, then every logged event after it. Throws
    /// <see cref="StorageException"/> when the directory cannot be used or the state cannot be rebuilt exactly (a
    /// damaged log segment, missing segments a checkpoint needs); <see cref="Recovery"/> reports what was done.
    /// </summary>
    public static FreshetEngine Open(FeatureSet definitions, EngineOptions options)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        var storageOptions = options.Storage ?? throw new ArgumentException("Open needs EngineOptions.Storage", nameof(options));
        EngineOptionsValidator.ThrowIfInvalid(options);
        var load = Stopwatch.StartNew();
        var directory = DataDirectory.Open(storageOptions.Directory);
        IdJournal? journal = null;
        FileEventLog? log = null;
        FreshetEngine? engine = null;
        string doing = "read the id journal in";
        string path = directory.Path;
        try
        {
            var notes = new List<string>();
            var strings = new StringInterner();
            var keys = new EntityKeySpace();
            journal = IdJournal.Open(directory.Path, strings, keys, IdsNeeded(directory.CheckpointsPath), out string? tornJournal);
            var idsTime = load.Elapsed;
            if (tornJournal is not null)
            {
                notes.Add(tornJournal);
            }

            var catalog = FeatureCatalog.Compile(definitions, strings, keys);
            doing = "read the checkpoints in";
            path = directory.CheckpointsPath;
            var store = new FileCheckpoints(directory.CheckpointsPath, time: options.Time);
            foreach (string removed in store.RemoveIncomplete(EngineStorage.Partition))
            {
                notes.Add($"removed the half-written checkpoint {removed} (a crash cut it short)");
            }

            var committed = store.List(EngineStorage.Partition);
            var manifests = ReadManifests(store, journal, notes);
            doing = "open the event log in";
            path = directory.LogPath;
            // A committed checkpoint's offset was synced before the commit, whether or not its files still read.
            long syncedThrough = committed.Count > 0 ? committed[0].Position.Offset : 0;
            if (committed.Count > 0 && LogSegment.List(directory.LogPath).Count == 0)
            {
                throw new StorageException(StorageProblem.Missing,
                    $"{directory.LogPath} holds no log segments, but checkpoints up to offset {syncedThrough:N0} exist: the log was removed outside Freshet, "
                    + "and events acknowledged after the last checkpoint may be lost with it. Restore the data directory from a backup, or start from a new one.");
            }

            log = FileEventLog.Open(directory.LogPath, partitions: 1, storageOptions, options.Time, strings,
                startAt: [manifests.Count > 0 ? manifests[0].Manifest.Offset : 0], syncedThrough: [syncedThrough]);
            var logReport = log.Reports[EngineStorage.Partition];
            if (logReport.TornTail is { } torn)
            {
                notes.Add(torn);
            }

            notes.AddRange(logReport.Salvaged);
            if (logReport.RemovedEmptySegment is { } removedSegment)
            {
                notes.Add(removedSegment);
            }

            if (syncedThrough > logReport.EndOffset)
            {
                throw new StorageException(StorageProblem.Corrupt,
                    $"the checkpoint at offset {syncedThrough:N0} shows the event log once held events up to that offset, but it now ends at {logReport.EndOffset:N0}: "
                    + "segments were removed or cut outside Freshet, and acknowledged events are missing. Restore the data directory from a backup; "
                    + $"to start anyway from what is left, move the checkpoints after offset {logReport.EndOffset:N0} out of {directory.CheckpointsPath} (their events are lost).");
            }

            doing = "recover the state in";
            path = directory.Path;
            engine = new FreshetEngine(catalog, strings, keys, options, new EngineStorage(directory, journal, log, store, storageOptions));
            engine.Recover(manifests, logReport, directory, notes, load, idsTime);
            log.Start();
            engine.StartCheckpointLoop();
            engine.StartOldSegmentCheck(engine.Recovery!.ReplayedFromOffset);
            return engine;
        }
        catch (Exception error)
        {
            if (engine is not null)
            {
                engine._router.Stop();
                engine._worker.StopAsync().Wait();
            }

            log?.Dispose();
            journal?.Dispose();
            directory.Dispose();
            if (error is IOException io and not StorageException)
            {
                throw StorageException.From(io, doing, path);
            }

            if (error is UnauthorizedAccessException denied)
            {
                throw StorageException.From(denied, doing, path);
            }

            throw;
        }
    }

    /// <summary>The most ids any committed checkpoint whose manifest reads needs from the id journal (null: none).</summary>
    private static IdsNeeded? IdsNeeded(string checkpoints)
    {
        IdsNeeded? needed = null;
        if (!Directory.Exists(checkpoints))
        {
            return null;
        }

        var store = new FileCheckpoints(checkpoints);
        foreach (var checkpoint in store.List(EngineStorage.Partition))
        {
            long offset = checkpoint.Position.Offset;
            try
            {
                var manifest = ReadManifest(store, checkpoint);
                if (manifest.Offset == offset && (needed is null || manifest.StringCount > needed.Strings))
                {
                    needed = new IdsNeeded(manifest.StringCount, manifest.KeyCounts, offset);
                }
            }
            catch (Exception error) when (error is StorageException or IOException)
            {
                // An unreadable manifest is skipped (and reported) where the checkpoints are read.
            }
        }

        return needed;
    }

    /// <summary>Committed checkpoints whose manifest reads and whose ids the journal holds, newest first.</summary>
    private static List<(CheckpointManifest Manifest, PartitionCheckpoint Checkpoint)> ReadManifests(FileCheckpoints store, IdJournal journal, List<string> notes)
    {
        var result = new List<(CheckpointManifest, PartitionCheckpoint)>();
        foreach (var checkpoint in store.List(EngineStorage.Partition))
        {
            long offset = checkpoint.Position.Offset;
            string reason;
            try
            {
                var manifest = ReadManifest(store, checkpoint);
                if (manifest.Offset != offset)
                {
                    reason = $"its manifest says offset {manifest.Offset:N0}";
                }
                else if (manifest.StringCount > journal.StringCount
                    || manifest.KeyCounts.Any(k => k.Value > journal.KeyCounts.GetValueOrDefault(k.Key)))
                {
                    reason = "it names ids the id journal does not hold";
                }
                else
                {
                    result.Add((manifest, checkpoint));
                    continue;
                }
            }
            catch (StorageException error)
            {
                reason = error.Message;
            }
            catch (FileNotFoundException)
            {
                reason = "it has no manifest";
            }

            notes.Add($"skipped the checkpoint at offset {offset:N0}: {reason}");
        }

        return result;
    }

    /// <summary>Reads the manifest part of <paramref name="checkpoint"/>; a missing one throws <see cref="FileNotFoundException"/>.</summary>
    private static CheckpointManifest ReadManifest(FileCheckpoints store, PartitionCheckpoint checkpoint)
    {
        using var part = OpenPart(store, checkpoint, CheckpointManifest.FileName);
        return CheckpointManifest.Read(part, store.PathOf(checkpoint, CheckpointManifest.FileName));
    }

    private static Stream OpenPart(FileCheckpoints store, PartitionCheckpoint checkpoint, string name)
    {
        if (!store.TryOpenPart(checkpoint, name, out var part))
        {
            string path = store.PathOf(checkpoint, name);
            throw new FileNotFoundException($"Could not find file '{path}'.", path);
        }

        return part;
    }

    private void Recover(List<(CheckpointManifest Manifest, PartitionCheckpoint Checkpoint)> manifests, LogOpenReport logReport, DataDirectory directory, List<string> notes,
        Stopwatch load, TimeSpan idsTime)
    {
        var storage = _storage!;
        var beforeCheckpoints = load.Elapsed;
        var used = LoadCheckpoints(manifests, notes);
        long logFirst = logReport.FirstOffset;
        var shardOffsets = new long[Shards.Length];
        for (int s = 0; s < Shards.Length; s++)
        {
            shardOffsets[s] = used[s]?.Offset ?? 0;
            if (used[s] is null && logFirst > 0)
            {
                throw new StorageException(StorageProblem.Missing,
                    $"shard {s} has no usable checkpoint in {directory.CheckpointsPath} and the event log starts at offset {logFirst:N0}, not 0, "
                    + "so its state cannot be rebuilt. Restore the data directory from a backup, or start from an empty one.");
            }
        }

        // The engine-wide state comes from the newest checkpoint any shard uses; replay adds what followed it.
        var newest = used.Where(m => m is not null).MaxBy(m => m!.Offset);
        var oldest = used.Any(m => m is null) ? null : used.MinBy(m => m!.Offset);
        if (newest is not null)
        {
            // The clock replays from the oldest checkpoint a shard uses, moving as it moved the first time, so a shard
            // that fell back sees its events with the clock they had (a shard ahead ignores a clock behind its own).
            _router.Restore(newest.Dedup, oldest?.NowMs ?? long.MinValue, newest.Accepted, newest.Duplicates, newest.EventsWithoutFeatures);
            _lastCheckpointOffset = newest.Offset;
            _lastCheckpointMs = newest.CreatedMs; // The loaded checkpoint's own time, not 1970, until the next one is written.
        }

        if (newest is not null)
        {
            NoteFeatureChanges(newest, notes);
        }

        long loaded = _worker.TileCount;

        var loadTime = load.Elapsed - beforeCheckpoints;
        var replay = Stopwatch.StartNew();
        long from = shardOffsets.Min();
        _router.BeginReplay(shardOffsets, newest?.Offset ?? 0);
        long replayed = 0;
        storage.Log.Read(EngineStorage.Partition, new LogPosition(from), Strings, (batch, first) => replayed += _router.Replay(batch, first.Offset, from));
        Flush(TimeSpan.FromDays(1));
        _router.EndReplay(newest?.NowMs ?? long.MinValue);

        Recovery = new RecoveryReport(directory.Path, directory.Created, newest?.Offset, from, replayed, logReport.EndOffset, logReport.Segments, logReport.Bytes,
            loaded, idsTime, beforeCheckpoints - idsTime, loadTime, replay.Elapsed, notes);
    }

    /// <summary>Says which features' state a definitions change dropped, and which start empty.</summary>
    private void NoteFeatureChanges(CheckpointManifest manifest, List<string> notes)
    {
        var current = Catalog.Features.Where(f => !f.IsDerived).ToArray();
        var kept = manifest.Features.Select(f => f.StateFingerprint).ToHashSet(StringComparer.Ordinal);
        var now = current.Select(f => f.StateFingerprint).ToHashSet(StringComparer.Ordinal);
        string[] dropped = [.. manifest.Features.Where(f => !now.Contains(f.StateFingerprint)).Select(f => f.Name)];
        string[] fresh = [.. current.Where(f => !kept.Contains(f.StateFingerprint)).Select(f => f.Name)];
        if (dropped.Length > 0)
        {
            notes.Add($"dropped the checkpointed state of {string.Join(", ", dropped)}: no longer declared, or declared with another state (events, filter, field, key, tiles…)");
        }

        if (fresh.Length > 0)
        {
            notes.Add($"{string.Join(", ", fresh)} {(fresh.Length == 1 ? "has" : "have")} no state in the checkpoint: "
                + $"{(fresh.Length == 1 ? "it starts" : "they start")} empty and count the events logged from offset {manifest.Offset:N0} on");
        }
    }

    /// <summary>
    /// Loads, for every shard, the newest checkpoint whose file is valid; returns the manifest used per shard (null:
    /// none, the shard starts empty). When the shard count changed since the checkpoints were written, one checkpoint
    /// is loaded whole and its tiles are routed to the shards that now own their keys.
    /// </summary>
    private CheckpointManifest?[] LoadCheckpoints(List<(CheckpointManifest Manifest, PartitionCheckpoint Checkpoint)> manifests, List<string> notes)
    {
        var used = new CheckpointManifest?[Shards.Length];
        var same = manifests.Where(m => m.Manifest.ShardCount == Shards.Length).ToList();
        if (manifests.Count > 0 && manifests[0].Manifest.ShardCount != Shards.Length)
        {
            foreach (var (manifest, checkpoint) in manifests)
            {
                try
                {
                    Shard.CheckpointHeader header = default;
                    for (int s = 0; s < manifest.ShardCount; s++)
                    {
                        header = LoadShardFile(checkpoint, s, manifest, reroute: true);
                    }

                    // Every shard file of one checkpoint has the same clock: the marker carried it to all of them.
                    foreach (var shard in Shards)
                    {
                        shard.RestoreClock(header.NowMs, header.ClosedThroughMs, eventsApplied: 0);
                    }

                    Array.Fill(used, manifest);
                    notes.Add($"the checkpoint at offset {manifest.Offset:N0} has {manifest.ShardCount} shards and this engine {Shards.Length}: its tiles were moved to the shards that own their keys now");
                    return used;
                }
                catch (StorageException error)
                {
                    notes.Add($"skipped the checkpoint at offset {manifest.Offset:N0}: {error.Message}");
                    foreach (var shard in Shards)
                    {
                        shard.ResetState();
                    }
                }
            }

            return used;
        }

        Parallel.For(0, Shards.Length, s =>
        {
            foreach (var (manifest, checkpoint) in same)
            {
                try
                {
                    LoadShardFile(checkpoint, s, manifest, reroute: false);
                    used[s] = manifest;
                    return;
                }
                catch (Exception error) when (error is StorageException or IOException)
                {
                    Shards[s].ResetState();
                    lock (notes)
                    {
                        notes.Add($"shard {s}: skipped the checkpoint at offset {manifest.Offset:N0} ({error.Message}); falling back to an older one");
                    }
                }
            }
        });
        return used;
    }

    private Shard.CheckpointHeader LoadShardFile(PartitionCheckpoint checkpoint, int index, CheckpointManifest manifest, bool reroute)
    {
        var store = _storage!.Checkpoints;
        string name = CheckpointManifest.ShardPartName(index);
        string path = store.PathOf(checkpoint, name);
        using var stream = OpenPart(store, checkpoint, name);
        using var reader = new BlockFileReader(stream, path, Shard.CheckpointMagic, Shard.CheckpointVersion);
        var header = Shard.ReadCheckpointHeader(reader);
        if (header.Index != index || header.ShardCount != manifest.ShardCount || header.Offset != manifest.Offset)
        {
            throw reader.Corrupt($"it is shard {header.Index} of {header.ShardCount} at offset {header.Offset:N0}, not shard {index} of {manifest.ShardCount} at {manifest.Offset:N0}");
        }

        var own = Shards[index % Shards.Length];
        Func<CompiledFeature, int, Shard> route = reroute
            ? (feature, keyId) => Shards[_worker.ShardOf(feature.Entity.RouteHashOf(keyId))]
            : (_, _) => own;
        Shard.LoadCheckpointTiles(reader, Catalog, route, reroute ? Shards.Length : 1);
        reader.ExpectEnd();
        if (!reroute)
        {
            own.RestoreClock(header.NowMs, header.ClosedThroughMs, header.EventsApplied);
        }

        return header;
    }
}
