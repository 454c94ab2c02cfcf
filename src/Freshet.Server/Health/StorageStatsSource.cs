using Freshet.Engine.Storage;

namespace Freshet.Server.Health;

/// <summary>
/// The storage figures of the backend the server runs on: the embedded engine's data directory, log and checkpoints
/// (null in memory). No seam covers them (they are the embedded backend's own), so the composition root
/// (<see cref="FreshetServer.Build(Engine.FreshetEngine, ServerOptions, Seams.IEventRouter)"/>) hands the engine's <c>GetStorageStats</c> in; the endpoints depend on this, not on the engine.
/// </summary>
internal sealed class StorageStatsSource(Func<StorageStats?> read)
{
    /// <summary>The figures now; null without a data directory.</summary>
    public StorageStats? Read() => read();

    /// <summary>The data directory, which messages name paths relative to; null without one.</summary>
    public string? DataDirectory => read()?.Directory;
}
