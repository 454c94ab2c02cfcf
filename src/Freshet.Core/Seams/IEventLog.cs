using Freshet.Events;

namespace Freshet.Seams;

/// <summary>
/// The event log seam: accepted events, appended in routing order to one of <see cref="Partitions"/> partitions and
/// read back in that order from a position per partition. The router appends; each partition's worker reads its
/// partitions to build state, and so do recovery, the learner's catch-up and backfill. Embedded: segment files in the
/// data directory; scale-out: one Redis stream per partition. Every implementation passes the log contract kit
/// (Freshet.Testing), including crash-and-reopen cases.
/// </summary>
/// <remarks>
/// Appends to one partition are serialized by the caller (one router, or one ingest process per partition's lock);
/// reads may run beside them and see a prefix. An append is acknowledged to a client only after
/// <see cref="WaitDurableAsync"/> for its position completes: what "durable" means is the backend's durability
/// level, and whatever it promised survives a crash of this process and a reopen.
/// </remarks>
public interface IEventLog : IDisposable
{
    /// <summary>Partitions of this log, numbered from 0; fixed for the life of the log.</summary>
    int Partitions { get; }

    /// <summary>
    /// Appends events <paramref name="start"/>..+<paramref name="count"/> of <paramref name="events"/> to the end of
    /// <paramref name="partition"/> and returns the partition's new end (the position after them). The batch may be
    /// reused once this returns. Throws the log's <see cref="Failure"/> once it has one.
    /// </summary>
    LogPosition Append(int partition, EventBatch events, int start, int count);

    /// <summary>Completes once everything appended to <paramref name="partition"/> before <paramref name="through"/> is durable; faults with <see cref="Failure"/>.</summary>
    Task WaitDurableAsync(int partition, LogPosition through, CancellationToken cancellationToken = default);

    /// <summary>The oldest position of <paramref name="partition"/> still readable (raised by <see cref="Trim"/>).</summary>
    LogPosition FirstOf(int partition);

    /// <summary>The position the next append to <paramref name="partition"/> gets.</summary>
    LogPosition EndOf(int partition);

    /// <summary>
    /// Reads <paramref name="partition"/> from <paramref name="from"/> to its end as it is when the call starts, in
    /// append order, handing <paramref name="visit"/> runs of events with the position of each run's first event (a run
    /// is valid only during the call; strings are interned into <paramref name="strings"/>). Returns the position read
    /// through. Below <see cref="FirstOf"/> it throws: what was trimmed cannot be read, and saying so beats a gap.
    /// </summary>
    LogPosition Read(int partition, LogPosition from, StringInterner strings, LogRunVisitor visit, CancellationToken cancellationToken = default);

    /// <summary>
    /// Lets the log drop what lies before <paramref name="before"/> in <paramref name="partition"/> (every reader that
    /// needs it has moved past). A backend may keep more (whole segments, a stream's approximate trim); returns the new
    /// <see cref="FirstOf"/>.
    /// </summary>
    LogPosition Trim(int partition, LogPosition before);

    /// <summary>Why appends stopped (a full disk, a lost connection), or null while the log works.</summary>
    Exception? Failure { get; }
}

/// <summary>A run of logged events of one partition, the first at <paramref name="first"/>.</summary>
public delegate void LogRunVisitor(EventBatch events, LogPosition first);
