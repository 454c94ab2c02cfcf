namespace Freshet.Engine.Storage;

/// <summary>
/// The layout of a data directory and the lock that keeps a second process out of it:
/// <code>
/// LOCK            held (flock) while an engine has the directory open
/// ids.journal     the permanent string and composite-key ids (IdJournal)
/// log/            the event log's segments
/// checkpoints/    one folder per checkpoint, named by the log offset it reflects
/// </code>
/// </summary>
internal sealed class DataDirectory : IDisposable
{
    private readonly FileStream _lock;

    private DataDirectory(string path, FileStream lockFile, bool created)
    {
        Path = path;
        _lock = lockFile;
        Created = created;
    }

    public string Path { get; }

    public string LogPath => System.IO.Path.Combine(Path, "log");

    public string CheckpointsPath => System.IO.Path.Combine(Path, "checkpoints");

    /// <summary>True when the directory did not exist and was created now (a first start).</summary>
    public bool Created { get; }

    /// <summary>
    /// Opens <paramref name="path"/> for one engine: creates it when missing, takes its lock, and proves it takes
    /// writes. Throws <see cref="StorageException"/> saying why when it cannot be used (locked by another process,
    /// read-only, not a directory, no permission).
    /// </summary>
    public static DataDirectory Open(string path)
    {
        string full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new StorageException(StorageProblem.Missing, $"the data directory {full} is a file, not a directory");
        }

        bool created = !Directory.Exists(full);
        string doing = "create the data directory";
        string at = full;
        FileStream? lockFile = null;
        try
        {
            Directory.CreateDirectory(full);
            doing = "lock the data directory";
            at = System.IO.Path.Combine(full, "LOCK");
            try
            {
                lockFile = new FileStream(at, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1);
            }
            catch (IOException error) when ((error.HResult & 0xFFFF) is 11 or 32 or 33 || error.Message.Contains("used by another process", StringComparison.Ordinal))
            {
                throw new StorageException(StorageProblem.Locked,
                    $"the data directory {full} is in use by another Freshet process (its LOCK is held); stop that one or choose another --data directory", error);
            }

            doing = "write to the data directory";
            at = System.IO.Path.Combine(full, ".write-probe");
            using (var probe = new FileStream(at, FileMode.Create, FileAccess.Write, FileShare.None, 1))
            {
                probe.WriteByte(1);
                probe.Flush(flushToDisk: true);
            }

            File.Delete(at);
            doing = "create the log and checkpoint folders in";
            at = full;
            Directory.CreateDirectory(System.IO.Path.Combine(full, "log"));
            Directory.CreateDirectory(System.IO.Path.Combine(full, "checkpoints"));
            if (created)
            {
                DurableFiles.SyncDirectory(System.IO.Path.GetDirectoryName(full)!);
            }

            DurableFiles.SyncDirectory(full);
            return new DataDirectory(full, lockFile, created);
        }
        catch (IOException error)
        {
            lockFile?.Dispose();
            throw StorageException.From(error, doing, at);
        }
        catch (UnauthorizedAccessException error)
        {
            lockFile?.Dispose();
            throw StorageException.From(error, doing, at);
        }
    }

    public void Dispose() => _lock.Dispose();
}
