using Freshet.Engine.Shards;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.Engine.Ingest;

/// <summary>
/// What the composition root drives beside ingest, in the same order as the events: catalog swaps, clock ticks,
/// shutdown, the checkpoint cut, and recovery's restore and replay of the log.
/// </summary>
internal sealed partial class EventRouter
{
    // Recovery only: replayed events below this offset are already in the checkpoint's counters.
    private long _countFromOffset = long.MinValue;

    /// <summary>Under <see cref="IngestLock"/>: true once nothing more is dispatched (the worker is stopping).</summary>
    internal bool IsStopped => _stopped;

    /// <summary>
    /// Replaces the catalog, between two batches, with what <paramref name="compile"/> makes of the current one; the
    /// worker switches at the same place in the stream.
    /// </summary>
    internal FeatureCatalog SwapCatalog(Func<FeatureCatalog, FeatureCatalog> compile)
    {
        lock (_lock)
        {
            var next = compile(_catalog);
            _catalog = next;
            Dispatch(null, next, ClockOf(next));
            return next;
        }
    }

    /// <summary>Advances the worker's clock without events (wall-clock mode: lets idle tiles close and expire).</summary>
    internal void Tick()
    {
        lock (_lock)
        {
            if (!_stopped && _catalog.Settings.Clock == ClockMode.Wall)
            {
                Dispatch(null, _catalog, WallMs);
            }
        }
    }

    /// <summary>Takes no more events (a last checkpoint marker may still pass); false when it was already closing.</summary>
    internal bool TryClose()
    {
        lock (_lock)
        {
            if (_stopped || _closing)
            {
                return false;
            }

            _closing = true;
            return true;
        }
    }

    /// <summary>Dispatches nothing more: the worker may stop.</summary>
    internal void Stop()
    {
        lock (_lock)
        {
            _stopped = true;
        }
    }

    /// <summary>Under <see cref="IngestLock"/>: the clock, counters and dedup window a checkpoint's manifest keeps.</summary>
    internal RouterState Capture() => new(_nowMs, _accepted, _duplicates, _withoutFeatures, _dedup.Capture());

    /// <summary>Under <see cref="IngestLock"/>: hands every shard a checkpoint marker behind everything routed so far.</summary>
    internal void DispatchCheckpoint(CheckpointRequest request) => Dispatch(null, _catalog, ClockOf(_catalog), request);

    /// <summary>Recovery, before any event: the clock, counters and dedup window of the checkpoint recovery starts from.</summary>
    internal void Restore(DedupSnapshot dedup, long nowMs, long accepted, long duplicates, long withoutFeatures)
    {
        lock (_lock)
        {
            _dedup.Restore(dedup);
            _nowMs = nowMs;
            _accepted = accepted;
            _duplicates = duplicates;
            _withoutFeatures = withoutFeatures;
        }
    }

    /// <summary>
    /// Recovery: replayed events below <paramref name="shardOffsets"/>[s] skip shard s (its checkpoint holds them), and
    /// those below <paramref name="countFromOffset"/> are already in the restored counters.
    /// </summary>
    internal void BeginReplay(long[] shardOffsets, long countFromOffset)
    {
        lock (_lock)
        {
            _worker.ReplayFrom = shardOffsets;
            _countFromOffset = countFromOffset;
        }
    }

    /// <summary>
    /// Routes logged events from <paramref name="firstOffset"/> on: accepted once already, so not judged again (only
    /// remembered for dedup and moving the clock); the ones below <paramref name="from"/> are skipped. Returns the events routed.
    /// </summary>
    internal int Replay(EventBatch batch, long firstOffset, long from)
    {
        lock (_lock)
        {
            var catalog = _catalog;
            bool eventTime = catalog.Settings.Clock == ClockMode.EventTime;
            long now = eventTime ? _nowMs : WallMs;
            var shared = _worker.RentBatch();
            var events = shared.Events;
            int replayed = 0;
            for (int i = 0; i < batch.Count; i++)
            {
                long offset = firstOffset + i;
                if (offset < from)
                {
                    continue;
                }

                long time = batch[i].TimeMs;
                if (eventTime && time > now)
                {
                    now = time;
                }

                _dedup.TryAdd(batch[i].IdHash, now == long.MinValue ? time : now);
                if (offset >= _countFromOffset)
                {
                    _accepted++;
                }

                int copied = events.Count;
                events.CopyFrom(batch, i);
                events.Promote(copied, Strings, catalog.KeptValueFields);
                Route(catalog, events, copied, offset);
                replayed++;
            }

            if (eventTime)
            {
                Volatile.Write(ref _nowMs, now);
            }

            Dispatch(shared, catalog, now);
            return replayed;
        }
    }

    /// <summary>
    /// Recovery, once the replay is applied: live routing from here on, and the clock at least
    /// <paramref name="nowAtLeastMs"/> (the newest checkpoint's, which a replay from an older one may not have reached).
    /// </summary>
    internal void EndReplay(long nowAtLeastMs)
    {
        lock (_lock)
        {
            if (nowAtLeastMs > _nowMs)
            {
                _nowMs = nowAtLeastMs;
            }

            _worker.ReplayFrom = null;
            _countFromOffset = long.MinValue;
        }
    }

    private long ClockOf(FeatureCatalog catalog) => catalog.Settings.Clock == ClockMode.Wall ? WallMs : _nowMs;
}

/// <summary>The router's part of a checkpoint: its clock, counters and dedup window, taken in one cut.</summary>
internal readonly record struct RouterState(long NowMs, long Accepted, long Duplicates, long WithoutFeatures, DedupSnapshot Dedup);
