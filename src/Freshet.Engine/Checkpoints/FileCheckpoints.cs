using System.Collections.Concurrent;
using System.Globalization;
using Freshet.Engine.Storage;
using Freshet.Seams;

namespace Freshet.Engine.Checkpoints;

/// <summary>
/// The embedded <see cref="IPartitionCheckpoints"/>: a checkpoint is a folder named by its position
/// (<c>checkpoints/00000000000000012345/</c>) holding one file per part (the engine writes a manifest and one file per
/// shard). It is written into <c>…/00000000000000012345.tmp/</c>, every part synced, and renamed into place (the rename,
/// synced, is the commit), so a folder without <c>.tmp</c> was complete when written. With one partition the folders lie
/// in the checkpoints directory itself, as before partitions existed; with P partitions each has a folder
/// <c>partition-000</c>… of its own.
/// </summary>
internal sealed class FileCheckpoints(string directory, int partitions = 1, TimeProvider? time = null) : IPartitionCheckpoints
{
    private const string TemporarySuffix = ".tmp";
    private const string PartitionFolderPrefix = "partition-";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>The checkpoints directory.</summary>
    public string Directory { get; } = directory;

    public int Partitions { get; } = partitions >= 1 ? partitions : throw new ArgumentOutOfRangeException(nameof(partitions), partitions, "at least one partition");

    /// <summary>The folder of <paramref name="partition"/>'s checkpoints.</summary>
    public string DirectoryOf(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, Partitions);
        return Partitions == 1 ? Directory : Path.Combine(Directory, PartitionFolderPrefix + partition.ToString("D3", CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// Creates the temporary folder, then calls <paramref name="write"/> before any await, so its synchronous part runs
    /// on the caller's thread (the engine dispatches its checkpoint marker there, under the ingest lock). When it
    /// completes, every part is synced and the folder renamed into place; when it throws, the folder is deleted.
    /// </summary>
    public async Task<PartitionCheckpoint> SaveAsync(int partition, LogPosition position, Func<ICheckpointWriter, CancellationToken, Task> write,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string folder = DirectoryOf(partition);
        System.IO.Directory.CreateDirectory(folder);
        string name = Name(position);
        string temporary = Path.Combine(folder, name + TemporarySuffix);
        if (System.IO.Directory.Exists(temporary))
        {
            System.IO.Directory.Delete(temporary, recursive: true);
        }

        System.IO.Directory.CreateDirectory(temporary);
        var writer = new FolderWriter(temporary);
        try
        {
            await write(writer, cancellationToken).ConfigureAwait(false);
            writer.Close();
            DurableFiles.SyncDirectory(temporary);
            string final = Path.Combine(folder, name);
            if (System.IO.Directory.Exists(final))
            {
                System.IO.Directory.Delete(final, recursive: true);
            }

            System.IO.Directory.Move(temporary, final);
            DurableFiles.SyncDirectory(folder);
        }
        catch
        {
            writer.Abort();
            TryDelete(temporary);
            throw;
        }

        return new PartitionCheckpoint(partition, position, _time.GetUtcNow().ToUnixTimeMilliseconds(), name);
    }

    public IReadOnlyList<PartitionCheckpoint> List(int partition)
    {
        string folder = DirectoryOf(partition);
        var result = new List<PartitionCheckpoint>();
        if (!System.IO.Directory.Exists(folder))
        {
            return result;
        }

        foreach (string path in System.IO.Directory.EnumerateDirectories(folder))
        {
            string name = Path.GetFileName(path);
            if (name.Length == 20 && long.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out long offset))
            {
                long created = new DateTimeOffset(System.IO.Directory.GetLastWriteTimeUtc(path)).ToUnixTimeMilliseconds();
                result.Add(new PartitionCheckpoint(partition, new LogPosition(offset), created, name));
            }
        }

        result.Sort((a, b) => b.Position.CompareTo(a.Position));
        return result;
    }

    public bool TryOpenPart(PartitionCheckpoint checkpoint, string name, out Stream part)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        string path = PathOf(checkpoint, name);
        try
        {
            part = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            return true;
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            part = Stream.Null;
            return false;
        }
    }

    /// <summary>Where part <paramref name="name"/> of <paramref name="checkpoint"/> is (or would be) on disk, for messages.</summary>
    public string PathOf(PartitionCheckpoint checkpoint, string name)
    {
        CheckPartName(name);
        return Path.Combine(DirectoryOf(checkpoint.Partition), checkpoint.Name, name);
    }

    public LogPosition? Prune(int partition, int keep)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keep);
        var all = List(partition);
        for (int i = keep; i < all.Count; i++)
        {
            System.IO.Directory.Delete(Path.Combine(DirectoryOf(partition), all[i].Name), recursive: true);
        }

        if (all.Count > keep)
        {
            DurableFiles.SyncDirectory(DirectoryOf(partition));
        }

        return all.Count == 0 || keep == 0 ? null : all[Math.Min(keep, all.Count) - 1].Position;
    }

    /// <summary>Deletes the checkpoints of <paramref name="partition"/> that a crash left half-written; returns their names.</summary>
    public List<string> RemoveIncomplete(int partition)
    {
        string folder = DirectoryOf(partition);
        var removed = new List<string>();
        if (!System.IO.Directory.Exists(folder))
        {
            return removed;
        }

        foreach (string path in System.IO.Directory.EnumerateDirectories(folder, "*" + TemporarySuffix))
        {
            System.IO.Directory.Delete(path, recursive: true);
            removed.Add(Path.GetFileName(path));
        }

        if (removed.Count > 0)
        {
            DurableFiles.SyncDirectory(folder);
        }

        return removed;
    }

    private static string Name(LogPosition position) => position.Offset.ToString("D20", CultureInfo.InvariantCulture);

    private static void CheckPartName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.IndexOfAny(['/', '\\']) >= 0 || name is "." or ".." || name.EndsWith(TemporarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{name}' is not a valid checkpoint part name (a plain file name, not ending in {TemporarySuffix})", nameof(name));
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // A half-written checkpoint folder is removed at the next start.
        }
    }

    /// <summary>Creates the parts of one checkpoint as files of its temporary folder; the shards call it from their own threads.</summary>
    private sealed class FolderWriter(string folder) : ICheckpointWriter
    {
        // Null while the part's file is being created.
        private readonly ConcurrentDictionary<string, PartStream?> _parts = new(StringComparer.Ordinal);

        public Stream CreatePart(string name)
        {
            CheckPartName(name);
            if (!_parts.TryAdd(name, null))
            {
                throw new ArgumentException($"the checkpoint already has a part named '{name}'", nameof(name));
            }

            var part = new PartStream(Path.Combine(folder, name));
            _parts[name] = part;
            return part;
        }

        /// <summary>Closes (and so syncs) every part the write left open.</summary>
        public void Close()
        {
            foreach (var part in _parts.Values)
            {
                part?.Dispose();
            }
        }

        /// <summary>Closes every part without caring whether it syncs (the checkpoint is being thrown away).</summary>
        public void Abort()
        {
            foreach (var part in _parts.Values)
            {
                try
                {
                    part?.Dispose();
                }
                catch (Exception error) when (error is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    // The folder is deleted anyway.
                }
            }
        }
    }

    /// <summary>A part's file: synced when closed, so a checkpoint never commits a part the disk may not have.</summary>
    private sealed class PartStream(string path) : FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16)
    {
        private bool _closed;

        protected override void Dispose(bool disposing)
        {
            try
            {
                if (disposing)
                {
                    SyncOnce();
                }
            }
            finally
            {
                base.Dispose(disposing);
            }
        }

        // FileStream's DisposeAsync closes the file without calling Dispose(true): sync here too.
        public override async ValueTask DisposeAsync()
        {
            try
            {
                SyncOnce();
            }
            finally
            {
                await base.DisposeAsync().ConfigureAwait(false);
            }
        }

        private void SyncOnce()
        {
            if (!_closed)
            {
                _closed = true;
                Flush(flushToDisk: true);
            }
        }
    }
}
