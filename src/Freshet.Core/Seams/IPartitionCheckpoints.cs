namespace Freshet.Seams;

/// <summary>
/// The state checkpoint seam: the state built from one log partition, saved with the position it reflects, so a
/// restart (or a new owner after failover) loads it and reads the partition from that position on — nothing lost,
/// nothing applied twice. A checkpoint is a set of named parts (the embedded engine writes a manifest and one part
/// per shard that applies the partition) and is atomic: a reader sees all of a checkpoint or none of it. Embedded:
/// folders in the data directory; scale-out: Redis (or files) written by the partition's owner. Every implementation
/// passes the checkpoint contract kit (Freshet.Testing).
/// </summary>
public interface IPartitionCheckpoints
{
    /// <summary>
    /// Saves a checkpoint of <paramref name="partition"/> at <paramref name="position"/>: <paramref name="write"/> writes
    /// its parts, and the checkpoint becomes visible to <see cref="List"/> only once all of them are durable. A crash
    /// before then, or <paramref name="write"/> throwing, leaves the older checkpoints as they were and no trace of this
    /// one. <paramref name="write"/> is called before this returns, and its synchronous part runs on the caller's
    /// thread: a caller may start a save under its own lock to capture state in order with other work (the embedded
    /// engine hands its checkpoint marker to the shards there), then await the save outside it.
    /// </summary>
    Task<PartitionCheckpoint> SaveAsync(int partition, LogPosition position, Func<ICheckpointWriter, CancellationToken, Task> write,
        CancellationToken cancellationToken = default);

    /// <summary>The committed checkpoints of <paramref name="partition"/>, newest first: an older one is the fallback when a newer one cannot be read.</summary>
    IReadOnlyList<PartitionCheckpoint> List(int partition);

    /// <summary>Opens part <paramref name="name"/> of <paramref name="checkpoint"/>, or returns false when it has no such part.</summary>
    bool TryOpenPart(PartitionCheckpoint checkpoint, string name, out Stream part);

    /// <summary>Removes all but the newest <paramref name="keep"/> checkpoints of <paramref name="partition"/>; returns the oldest position still kept.</summary>
    LogPosition? Prune(int partition, int keep);
}

/// <summary>Writes the parts of one checkpoint being saved.</summary>
public interface ICheckpointWriter
{
    /// <summary>
    /// A new part named <paramref name="name"/> (a plain file name, unique within the checkpoint); dispose it when
    /// written. Safe to call from several threads at once (each shard writes its own part).
    /// </summary>
    Stream CreatePart(string name);
}

/// <summary>One committed checkpoint of <paramref name="Partition"/>, reflecting every event before <paramref name="Position"/>.</summary>
public sealed record PartitionCheckpoint(int Partition, LogPosition Position, long CreatedMs, string Name);
