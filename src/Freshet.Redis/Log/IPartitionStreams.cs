using Freshet.Events;
using Freshet.Seams;

namespace Freshet.Redis.Log;

/// <summary>
/// The partitioned log as the scale-out roles use it (docs/SCALE-OUT.md): ingest processes append runs of accepted
/// events, each stamped with the appender's clock, and clock-only entries (watermarks) that let an idle partition's
/// windows slide; a partition's owner reads the entries in order, events and watermarks alike. Redis: one stream per
/// partition (<see cref="RedisKeys.Log"/>), an entry's id is <c>&lt;end position&gt;-&lt;seq&gt;</c>, so positions stay
/// dense (a watermark takes none) and a checkpoint's position names where to resume.
/// </summary>
public interface IPartitionStreams
{
    /// <summary>Partitions there are (fixed for the deployment).</summary>
    int Partitions { get; }

    /// <summary>
    /// Appends events <paramref name="start"/>..+<paramref name="count"/> of <paramref name="events"/> to
    /// <paramref name="partition"/> as one entry stamped with <paramref name="clockMs"/> (the appender's now) and returns
    /// the partition's end after them. Several processes may append to one partition at once; each entry's positions
    /// are its own. The batch may be reused once the returned task completes. Faults with <see cref="Failure"/>.
    /// </summary>
    ValueTask<LogPosition> AppendAsync(int partition, EventBatch events, int start, int count, long clockMs, CancellationToken cancellationToken = default);

    /// <summary>Appends a clock-only entry (no events, no positions) so the partition's owner moves its clock to <paramref name="clockMs"/>.</summary>
    ValueTask AppendWatermarkAsync(int partition, long clockMs, CancellationToken cancellationToken = default);

    /// <summary>Completes once everything appended to <paramref name="partition"/> before <paramref name="through"/> is durable at the deployment's durability level.</summary>
    Task WaitDurableAsync(int partition, LogPosition through, CancellationToken cancellationToken = default);

    /// <summary>
    /// Reads at most <paramref name="maxEntries"/> entries of <paramref name="partition"/> after <paramref name="after"/>, in
    /// order, handing each to <paramref name="visit"/> (its events, the position of its first event, its clock; a
    /// watermark has no events and the position after the events before it). Strings are interned into
    /// <paramref name="strings"/>; a run is valid only during the call. Returns the cursor after the last entry read
    /// (<paramref name="after"/> when there were none). Below the trimmed start it throws: a gap is never skipped silently.
    /// </summary>
    Task<StreamCursor> ReadAsync(int partition, StreamCursor after, int maxEntries, StringInterner strings, StreamEntryVisitor visit,
        CancellationToken cancellationToken = default);

    /// <summary>Drops the entries of <paramref name="partition"/> wholly before <paramref name="before"/> (its owner's oldest kept checkpoint).</summary>
    Task TrimAsync(int partition, LogPosition before, CancellationToken cancellationToken = default);

    /// <summary>Why appends stopped (a lost connection), or null while the log works.</summary>
    Exception? Failure { get; }
}

/// <summary>An entry of a partition stream: its events (none for a watermark), the position of its first event, its appender's clock.</summary>
public delegate void StreamEntryVisitor(EventBatch events, LogPosition first, long clockMs);

/// <summary>
/// Where a reader of a partition stream is: after the entry whose id is <c>End-Sequence</c> (End = the position after
/// that entry's events). <see cref="At"/> a checkpoint's position starts after every entry ending at or before it.
/// </summary>
public readonly record struct StreamCursor(ulong End, ulong Sequence)
{
    /// <summary>The cursor after every entry ending at or before <paramref name="position"/> (where a checkpoint resumes).</summary>
    public static StreamCursor At(LogPosition position) => new((ulong)position.Offset, ulong.MaxValue);

    /// <summary>The position of the first event not read yet.</summary>
    public LogPosition Position => new((long)End);
}
