using System.Collections.Concurrent;
using Freshet.Engine.Shards;
using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;

namespace Freshet.Engine.Ingest;

/// <summary>
/// The embedded router: validates each batch against the clock (lateness, max_future), drops retries by event id,
/// appends the accepted events to the log and routes them by entity-key hash to the partition worker, in one order
/// decided under one lock. It is also the accepted feed the learner observes. The composition root
/// (<see cref="FreshetEngine"/>) owns it and drives the rest: catalog swaps, ticks, checkpoint markers and recovery.
/// </summary>
internal sealed partial class EventRouter : IEventRouter, IAcceptedFeed
{
    private readonly Lock _lock = new();
    private readonly PartitionWorker _worker;
    // The embedded engine routes to one log partition (docs/SEAMS.md); its positions are the offsets IngestResult reports.
    private const int Partition = 0;
    private readonly IEventLog? _log;
    private readonly TimeProvider _time;
    private readonly DedupWindow _dedup;
    private readonly long[] _rejectedByReason = new long[Enum.GetValues<EventRejectReason>().Length];
    private readonly ConcurrentDictionary<string, long> _missingKey = new(StringComparer.Ordinal);
    private volatile FeatureCatalog _catalog;
    private long _nowMs = long.MinValue;
    private long _sequence;
    private long _accepted;
    private long _duplicates;
    private long _withoutFeatures;
    private AcceptedObserver? _observer;
    private long _observerFailures;
    private bool _closing; // No more events; a last checkpoint marker may still pass.
    private bool _stopped; // Nothing more is dispatched: the shards are stopping.

    public EventRouter(FeatureCatalog catalog, StringInterner strings, PartitionWorker worker, IEventLog? log, TimeProvider time, long dedupHorizonMs, long dedupMemoryBytes)
    {
        _catalog = catalog;
        Strings = strings;
        _worker = worker;
        _log = log;
        _time = time;
        _dedup = new DedupWindow(dedupHorizonMs, dedupMemoryBytes);
    }

    public FeatureCatalog Catalog => _catalog;

    public StringInterner Strings { get; }

    /// <summary>
    /// The largest accepted event time in event-time mode, the wall clock in wall mode; <see cref="long.MinValue"/>
    /// before the first event in event-time mode.
    /// </summary>
    public long NowMs => _catalog.Settings.Clock == ClockMode.Wall ? WallMs : Volatile.Read(ref _nowMs);

    public bool IsSaturated => _worker.IsSaturated;

    public Exception? Failure => _log?.Failure;

    /// <summary>The sequence number of the last batch handed to the worker.</summary>
    public long Sequence => Volatile.Read(ref _sequence);

    /// <summary>Times the accepted-events observer threw (its exceptions never fail an ingest).</summary>
    public long ObserverFailures => Interlocked.Read(ref _observerFailures);

    /// <summary>The lock that orders ingest: the composition root takes it for a consistent cut (checkpoints, string reclamation).</summary>
    internal Lock IngestLock => _lock;

    private long WallMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public IngestResult Ingest(EventBatch batch, int firstIndex = 0)
    {
        List<EventError>? rejected = null;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopped || _closing, this);
            if (_log?.Failure is { } failure)
            {
                throw failure;
            }

            var catalog = _catalog;
            var settings = catalog.Settings;
            long wall = WallMs;
            long now = settings.Clock == ClockMode.Wall ? wall : _nowMs;
            if (ReserveDedup(batch, settings, wall, now) is { } refusal)
            {
                return new IngestResult(0, 0, [], Volatile.Read(ref _sequence), _log?.EndOf(Partition).Offset ?? 0, refusal);
            }

            var shared = _worker.RentBatch();
            var events = shared.Events;
            int duplicates = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                long time = batch[i].TimeMs;
                // In wall mode now is the wall clock, so this one check covers both clock modes.
                if (time > wall + settings.MaxFutureMs)
                {
                    Reject(ref rejected, firstIndex + batch.SourceIndexOf(i), EventRejectReason.Future,
                        $"'time' {Time.TimeMath.FormatUtc(time, "?")} is more than {Time.Duration.Format(settings.MaxFutureMs)} ahead of now ({Time.TimeMath.FormatUtc(wall)})");
                    continue;
                }

                if (now != long.MinValue && time < now - settings.AllowedLatenessMs)
                {
                    Reject(ref rejected, firstIndex + batch.SourceIndexOf(i), EventRejectReason.Late,
                        $"'time' {Time.TimeMath.FormatUtc(time, "?")} is more than the allowed lateness ({Time.Duration.Format(settings.AllowedLatenessMs)}) behind now ({Time.TimeMath.FormatUtc(now, "?")})");
                    continue;
                }

                long advanced = settings.Clock == ClockMode.EventTime && time > now ? time : now;

                // After the time checks: a rejected event is not remembered, so its corrected retry is accepted. A
                // duplicate does not move the clock: it is not logged, so a replay would not move it either.
                if (!_dedup.TryAdd(batch[i].IdHash, advanced == long.MinValue ? time : advanced))
                {
                    duplicates++;
                    continue;
                }

                now = advanced;

                int copied = events.Count;
                events.CopyFrom(batch, i);
                events.Promote(copied, Strings, catalog.KeptValueFields); // Accepted: the values state holds become permanent.
                Route(catalog, events, copied, long.MaxValue);
            }

            if (settings.Clock == ClockMode.EventTime)
            {
                Volatile.Write(ref _nowMs, now);
            }

            // Read the count before dispatching: once the shards have the batch they may finish and recycle it.
            int accepted = events.Count;
            if (accepted > 0 && _observer is { } observer)
            {
                try
                {
                    // The position the log gives this batch's first event (in memory: the count accepted before it), and
                    // the sequence number Dispatch below gives the batch. The embedded engine has one partition.
                    observer(events, 0, _log?.EndOf(Partition) ?? new LogPosition(_accepted), _sequence + 1);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    // An observer never fails an ingest: the events are accepted, logged and applied regardless.
                    Interlocked.Increment(ref _observerFailures);
                }
            }

            // Logged before the shards see them, in routing order. A duplicate's original was logged by an earlier
            // call, so even a batch of duplicates is acknowledged only once everything logged so far is safe.
            long durableOffset = _log is null ? 0 : (accepted > 0 ? _log.Append(Partition, events, 0, accepted) : _log.EndOf(Partition)).Offset;
            _accepted += accepted;
            _duplicates += duplicates;
            long sequence = Dispatch(shared, catalog, now, logEnd: _log is null || accepted == 0 ? 0 : durableOffset);
            return new IngestResult(accepted, duplicates, (IReadOnlyList<EventError>?)rejected ?? [], sequence, durableOffset);
        }
    }

    public Task WaitDurableAsync(IngestResult result) =>
        _log is null || result.DurableOffset == 0 ? Task.CompletedTask : _log.WaitDurableAsync(Partition, new LogPosition(result.DurableOffset));

    public Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _worker.WaitAppliedAsync(sequence, timeout, cancellationToken);

    public bool WaitApplied(long sequence, TimeSpan timeout) => _worker.WaitApplied(sequence, timeout);

    /// <summary>
    /// Runs under the ingest lock, so <paramref name="observer"/> must copy what it keeps and return at once; the batch is
    /// reused after it returns. An exception it throws is counted (<see cref="ObserverFailures"/>).
    /// </summary>
    public void Observe(AcceptedObserver? observer)
    {
        lock (_lock)
        {
            _observer = observer;
        }
    }

    /// <summary>
    /// Keeps every tile that a read as of <paramref name="asOfMs"/> or later would use, however far the clock moves on,
    /// until the hold is moved or released (<see cref="long.MaxValue"/>): the learner holds it at the oldest exposure it has
    /// yet to read; the cost is the tiles of the time it lags behind, which its bounded queue bounds.
    /// </summary>
    public void HoldRetention(long asOfMs) => _worker.Hold.AsOfMs = asOfMs;

    public void CountRejected(IEnumerable<EventError> errors)
    {
        foreach (var error in errors)
        {
            Interlocked.Increment(ref _rejectedByReason[(int)error.Reason]);
        }
    }

    public EngineStats GetStats()
    {
        var reasons = Enum.GetValues<EventRejectReason>().ToDictionary(r => r, r => Interlocked.Read(ref _rejectedByReason[(int)r]));
        // Read without the ingest lock (which an ingest blocked on a full queue holds): the figures are only advisory.
        var dedup = DedupStatsNow();

        return new EngineStats(
            Interlocked.Read(ref _accepted),
            Interlocked.Read(ref _duplicates),
            reasons,
            Interlocked.Read(ref _withoutFeatures),
            new Dictionary<string, long>(_missingKey, StringComparer.Ordinal),
            Volatile.Read(ref _sequence),
            NowMs,
            _catalog.Version,
            dedup,
            _worker.Stats());
    }

    /// <summary>
    /// Stages event <paramref name="index"/> for the shards of its entities. <paramref name="offset"/> is its log offset
    /// when recovery replays it (a shard whose checkpoint already holds it skips it; counters count it only past the
    /// newest checkpoint), <see cref="long.MaxValue"/> for a live event.
    /// </summary>
    private void Route(FeatureCatalog catalog, EventBatch events, int index, long offset)
    {
        bool count = offset >= _countFromOffset;
        var routes = catalog.RoutesFor(events[index].TypeId);
        if (routes.IsEmpty)
        {
            if (count)
            {
                _withoutFeatures++;
            }

            return;
        }

        for (int r = 0; r < routes.Length; r++)
        {
            var entity = routes[r].Entity;
            if (!entity.TryGetKey(events, index, out int keyId, out ulong routeHash))
            {
                if (count)
                {
                    _missingKey.AddOrUpdate(entity.Name, 1, static (_, n) => n + 1);
                }

                continue;
            }

            _worker.Stage(routeHash, new WorkItem(index, r, keyId), offset);
        }
    }

    /// <summary>Numbers the next batch and hands the worker everything staged since the last one.</summary>
    private long Dispatch(SharedBatch? shared, FeatureCatalog catalog, long nowMs, CheckpointRequest? checkpoint = null, long logEnd = 0)
    {
        long sequence = ++_sequence;
        _worker.Dispatch(shared, catalog, nowMs, sequence, checkpoint, logEnd);
        return sequence;
    }

    private void Reject(ref List<EventError>? rejected, int index, EventRejectReason reason, string message)
    {
        Interlocked.Increment(ref _rejectedByReason[(int)reason]);
        (rejected ??= []).Add(new EventError(index, reason, "time", message));
    }
}
