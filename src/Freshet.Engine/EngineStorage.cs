using Freshet.Engine.Checkpoints;
using Freshet.Engine.Log;
using Freshet.Engine.Storage;

namespace Freshet.Engine;

/// <summary>What an engine with a data directory holds open: the directory lock, the id journal, the log and the checkpoints.</summary>
internal sealed class EngineStorage(DataDirectory directory, IdJournal journal, EventLog log, CheckpointStore checkpoints, StorageOptions options) : IDisposable
{
    public DataDirectory Directory { get; } = directory;

    public IdJournal Journal { get; } = journal;

    public EventLog Log { get; } = log;

    public CheckpointStore Checkpoints { get; } = checkpoints;

    public StorageOptions Options { get; } = options;

    public void Dispose()
    {
        Log.Dispose();
        Journal.Dispose();
        Directory.Dispose();
    }
}
