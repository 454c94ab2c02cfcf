using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Shards;

/// <summary>One event for one entity of one shard: which event, which route entry of its type, and the entity key id.</summary>
internal readonly record struct WorkItem(int EventIndex, int RouteIndex, int KeyId);

/// <summary>
/// A shared, read-only batch of accepted events, handed to every shard; returned to its pool when the last
/// shard is done with it.
/// </summary>
internal sealed class SharedBatch
{
    private int _references;

    public EventBatch Events { get; } = new(4096);

    public void Retain(int count) => _references = count;

    /// <summary>Drops one reference; true when it was the last.</summary>
    public bool Release() => Interlocked.Decrement(ref _references) == 0;
}

/// <summary>
/// What the router hands one shard per batch: its items (pooled array), the clock and the catalog in force, and, on
/// a checkpoint marker, the request to write the shard's state as it is after this work. <see cref="LogEnd"/> is the
/// log offset after the batch's events (0: nothing to wait for): the shard applies them only once the log has them.
/// </summary>
internal readonly record struct ShardWork(
    SharedBatch? Batch,
    WorkItem[]? Items,
    int Count,
    long NowMs,
    FeatureCatalog Catalog,
    long Sequence,
    int ShardIndex,
    CheckpointRequest? Checkpoint = null,
    long LogEnd = 0);

/// <summary>
/// A checkpoint in progress: every shard writes its part through <see cref="Writer"/> when the marker reaches it, so
/// all parts reflect the same log offset; the task completes when the last shard is done.
/// </summary>
internal sealed class CheckpointRequest(Seams.ICheckpointWriter writer, long offset, int shardCount, Action<string>? faultPoint, Events.StringMarks? marks = null)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<Exception> _errors = new();
    private readonly int _shardCount = shardCount;
    private int _remaining = shardCount;

    public Seams.ICheckpointWriter Writer { get; } = writer;

    public long Offset { get; } = offset;

    /// <summary>The string ids the shards' tiles hold, marked as they write their files (null: not marking).</summary>
    public Events.StringMarks? Marks { get; } = marks;

    /// <summary>Completes when every shard has written its file; faults with the first error if any failed.</summary>
    public Task Completion => _done.Task;

    public void WriteShard(Shard shard)
    {
        try
        {
            using (var part = Writer.CreatePart(Checkpoints.CheckpointManifest.ShardPartName(shard.Index)))
            {
                shard.WriteCheckpoint(part, Offset, _shardCount, Marks);
            }

            faultPoint?.Invoke($"checkpoint-shard-{shard.Index}");
        }
        catch (Exception error)
        {
            // Whatever went wrong, the shard must go on applying events: a failed checkpoint only means the next start
            // replays more of the log. The error fails the checkpoint and is reported.
            _errors.Enqueue(error is IOException or UnauthorizedAccessException ? error : new IOException($"writing shard {shard.Index}'s checkpoint failed: {error.Message}", error));
        }
        finally
        {
            if (Interlocked.Decrement(ref _remaining) == 0)
            {
                if (_errors.TryPeek(out var first))
                {
                    _done.TrySetException(first);
                }
                else
                {
                    _done.TrySetResult();
                }
            }
        }
    }
}
