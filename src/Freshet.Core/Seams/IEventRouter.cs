using Freshet.Events;
using Freshet.Features;

namespace Freshet.Seams;

/// <summary>
/// The ingest side of the engine: validates a parsed batch against the clock (lateness, max_future), drops retries by
/// event id, routes accepted events to partitions by entity-key hash and appends them to the log. One router decides
/// the order of a partition. Embedded: the router of this process over the file log and its shards; scale-out: an
/// ingest process appending to Redis streams. The HTTP ingest endpoint and in-process producers (the demo, replay)
/// depend on this, never on the embedded classes.
/// </summary>
public interface IEventRouter
{
    /// <summary>The catalog new batches are routed with.</summary>
    FeatureCatalog Catalog { get; }

    /// <summary>The string table parsers intern into (ids of catalog names, types and literals are pinned).</summary>
    StringInterner Strings { get; }

    /// <summary>Now as the router's clock sees it (<see cref="long.MinValue"/> before the first event in event-time mode).</summary>
    long NowMs { get; }

    /// <summary>
    /// Accepts the valid events of <paramref name="batch"/> and reports each rejected one by <paramref name="firstIndex"/>
    /// plus its source index. The caller may reuse the batch once this returns. Blocks while the partitions' queues are full.
    /// </summary>
    IngestResult Ingest(EventBatch batch, int firstIndex = 0);

    /// <summary>Completes once everything <paramref name="result"/> acknowledges is durable (per the log's durability level).</summary>
    Task WaitDurableAsync(IngestResult result);

    /// <summary>Completes with true once the batch numbered <paramref name="sequence"/> is visible to reads, false after <paramref name="timeout"/>.</summary>
    Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Whether the partitions' queues are so full that a new batch would wait (the ingest endpoint answers 503 instead).</summary>
    bool IsSaturated { get; }

    /// <summary>Why ingest stopped (the log failed), or null.</summary>
    Exception? Failure { get; }

    /// <summary>Counts events a producer rejected before they reached the router (unparseable ones), by reason, in the stats.</summary>
    void CountRejected(IEnumerable<EventError> errors);

    /// <summary>Counters since the router started.</summary>
    EngineStats GetStats();
}

/// <summary>
/// The accepted stream as a consumer beside the features sees it (the learner): every accepted batch live, in log
/// order, with its position and sequence; a way to wait until the features have applied a batch; and a hold on
/// retention so reads "as of" a time the consumer has not reached yet still find their tiles. Catching up after a
/// restart reads the <see cref="IEventLog"/>.
/// </summary>
public interface IAcceptedFeed
{
    /// <summary>
    /// Shows every batch of accepted events, in log order, to <paramref name="observer"/> (null stops it). It runs on the
    /// ingest path: it must copy what it keeps and return at once; an exception it throws is counted, never fails ingest.
    /// </summary>
    void Observe(AcceptedObserver? observer);

    /// <summary>Waits until the batch numbered <paramref name="sequence"/> is applied by every partition; false after <paramref name="timeout"/>.</summary>
    bool WaitApplied(long sequence, TimeSpan timeout);

    /// <summary>Keeps the tiles a read as of <paramref name="asOfMs"/> needs from expiring (<see cref="long.MaxValue"/>: no hold).</summary>
    void HoldRetention(long asOfMs);
}

/// <summary>A batch of accepted events: partition <paramref name="partition"/> from <paramref name="first"/>, numbered <paramref name="sequence"/> for <see cref="IAcceptedFeed.WaitApplied"/>.</summary>
public delegate void AcceptedObserver(EventBatch events, int partition, LogPosition first, long sequence);
