namespace Freshet.Engine.Storage;

/// <summary>When an accepted event counts as safe, and so when the client is told it was accepted.</summary>
public enum Durability
{
    /// <summary>
    /// Acknowledged once its log record is on disk (fsync, one per group commit). Nothing acknowledged is lost, even
    /// by a power cut. The default.
    /// </summary>
    Always,

    /// <summary>
    /// Acknowledged once its record is written to the operating system; the log is synced every
    /// <see cref="StorageOptions.FsyncInterval"/>. A crash of the process loses nothing acknowledged; a power cut or
    /// kernel crash can lose up to that interval.
    /// </summary>
    Interval,

    /// <summary>
    /// Acknowledged once its record is queued for writing. A crash of the process can lose what was still queued
    /// (at most a few milliseconds of events); a power cut what the operating system had not written. The log is
    /// still synced before every checkpoint, so state never runs ahead of the log.
    /// </summary>
    None,
}

/// <summary>Where an engine keeps its event log and checkpoints, and how it trades safety for speed.</summary>
public sealed record StorageOptions
{
    /// <summary>The data directory (created when missing): <c>log/</c>, <c>checkpoints/</c> and <c>ids.journal</c>.</summary>
    public required string Directory { get; init; }

    public Durability Durability { get; init; } = Durability.Always;

    /// <summary>How often the log is synced under <see cref="Durability.Interval"/>.</summary>
    public TimeSpan FsyncInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>A log segment is closed and a new one started once it holds this many bytes.</summary>
    public long SegmentBytes { get; init; } = 64L << 20;

    /// <summary>
    /// Appended bytes waiting to be written before <see cref="FreshetEngine.Ingest"/> blocks (backpressure from a
    /// slow disk instead of unbounded memory).
    /// </summary>
    public int MaxPendingBytes { get; init; } = 32 << 20;

    /// <summary>
    /// How often every shard's state is checkpointed (also on a clean shutdown). Zero: only on shutdown — and log
    /// retention, which runs after each checkpoint, then only runs then too.
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Checkpoints kept; older ones are deleted. At least one; two (the default) give a damaged newest one a fallback.</summary>
    public int CheckpointsKept { get; init; } = 2;

    /// <summary>Log segments last written longer ago than this are deleted (unless a checkpoint or the backfill horizon still needs them). Null: no age limit.</summary>
    public TimeSpan? RetentionAge { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The log is trimmed, oldest segments first, to this many bytes (same exceptions). Null: no size limit.</summary>
    public long? RetentionBytes { get; init; }

    /// <summary>
    /// Segments holding events newer than now minus this (on the engine's clock) are never deleted, so a newly declared
    /// feature can be backfilled from them. Zero: no such promise.
    /// </summary>
    public TimeSpan BackfillHorizon { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Start even when the newest log segment is damaged in the middle (past the newest checkpoint): keep every valid
    /// record before and after the damage, move the damaged bytes into <c>salvaged/</c> in the data directory and log
    /// what was cut. Off by default: such damage otherwise stops the start, since acknowledged events would be lost.
    /// </summary>
    public bool SalvageLog { get; init; }

    /// <summary>Receives a line for each checkpoint written or failed and each log segment deleted (for the server's log).</summary>
    public Action<string>? Diagnostics { get; init; }

    /// <summary>Tests only: called by the log writer with half of a group commit written, so a test can copy the files as a kill would leave them.</summary>
    internal Action? MidWriteHook { get; init; }

    /// <summary>Tests only: called at the risky moments (between checkpoint files, inside a segment roll) so a test can kill the process there.</summary>
    public Action<string>? FaultPoint { get; init; }
}
