using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary>
/// Where events go: a running server over HTTP, or an engine in this process. Events are added to the current batch
/// one at a time (synchronously: a mapped event lives in the mapper's buffers); a full batch is handed off with
/// <see cref="FlushAsync"/>, which waits only when the target is busy (backpressure). The target reports what became of
/// every event to the <see cref="ReplayCounters"/>.
/// </summary>
internal interface IReplayTarget : IAsyncDisposable
{
    /// <summary>What it is, for the start line and the summary ("http://127.0.0.1:7700/", "an embedded engine").</summary>
    string Description { get; }

    /// <summary>Events in the current batch.</summary>
    int Pending { get; }

    /// <summary>Whether the current batch has reached the batch size.</summary>
    bool IsBatchFull { get; }

    void Add(MappedEvent e);

    /// <summary>Hands the current batch off; returns once it is sent or queued, not necessarily answered.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Sends what is left and waits until every event is answered for and visible to queries.</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Lines for the summary about the target itself (the engine's statistics); empty for a server.</summary>
    IReadOnlyList<string> Report();
}
