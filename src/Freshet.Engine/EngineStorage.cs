using Freshet.Engine.Checkpoints;
using Freshet.Engine.Log;
using Freshet.Engine.Storage;

namespace Freshet.Engine;

/// <summary>What an engine with a data directory holds open: the directory lock, the id journal, the log and the checkpoints.</summary>
internal sealed class EngineStorage(DataDirectory directory, IdJournal journal, FileEventLog log, FileCheckpoints checkpoints, StorageOptions options) : IDisposable
{
    /// <summary>
    /// The embedded engine's one partition: one ordered log applied by all its shards (docs/SEAMS.md), so its positions
    /// are the log offsets of before partitions existed.
    /// </summary>
    public const int Partition = 0;

    public DataDirectory Directory { get; } = directory;

    public IdJournal Journal { get; } = journal;

    public FileEventLog Log { get; } = log;

    public FileCheckpoints Checkpoints { get; } = checkpoints;

    public StorageOptions Options { get; } = options;

    public void Dispose()
    {
        Log.Dispose();
        Journal.Dispose();
        Directory.Dispose();
    }
}
