using System.Diagnostics;
using Freshet.Events;
using Freshet.Features;
using Freshet.Seams;

namespace Freshet.Learning.Hosting;

/// <summary>The stream side of the host: catching up from the log, queueing what the feed shows, and the learner thread.</summary>
public sealed partial class LearningHost
{
    /// <summary>
    /// The partition the host learns. The embedded engine has one, whose positions are the ones the feed shows; a host
    /// per partition (scale-out) would take it as a parameter.
    /// </summary>
    private const int Partition = 0;

    /// <summary>Learns the logged events each model has not seen yet, before the stream resumes.</summary>
    private void CatchUp()
    {
        long from = _slots.Min(s => s.NextOffset);
        try
        {
            // One partition, whose positions are the ones the feed shows (see Partition).
            long read = 0;
            _log!.Read(Partition, new LogPosition(from), _router.Strings, (batch, first) =>
            {
                Feed(batch, first.Offset);
                read += batch.Count;
            });
            Interlocked.Add(ref _replayed, read);

            // The whole log is learned and nothing else is accepted yet: the router's clock is the stream's.
            AdvanceClickModels(_router.NowMs);
        }
        catch (IOException e)
        {
            // The log failed (the file log's StorageException is an IOException); the models follow the stream from here.
            Fail(e, "catching up from the event log");
        }
    }

    /// <summary>Feeds each model the events of a batch it has not learned yet, in order.</summary>
    private void Feed(EventBatch batch, long firstOffset)
    {
        foreach (var slot in _slots)
        {
            for (int i = (int)Math.Clamp(slot.NextOffset - firstOffset, 0, batch.Count); i < batch.Count; i++)
            {
                try
                {
                    slot.Observe(batch, i);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Fail(e, $"model '{slot.Name}'");
                }
            }

            slot.NextOffset = Math.Max(slot.NextOffset, firstOffset + batch.Count);
        }
    }

    /// <summary>Under the router's ingest lock: copy and queue, never wait, never throw.</summary>
    private void OnAccepted(EventBatch events, int partition, LogPosition first, long sequence)
    {
        long firstOffset = first.Offset; // One partition (see Partition).
        try
        {
            if (!_spare.TryTake(out var copy))
            {
                copy = new EventBatch(events.Count);
            }

            copy.Clear();
            for (int i = 0; i < events.Count; i++)
            {
                copy.CopyFrom(events, i);
            }

            lock (_positionLock)
            {
                if (_readsLive && _queuedBatches == 0)
                {
                    // Held before the shards see this batch, so no tile its reads need can expire first.
                    _feed.HoldRetention(OldestTimeMs(copy) - _readLeadMs);
                }

                _acceptedThrough = firstOffset + copy.Count;
                _queuedBatches++;
            }

            if (!_queue.Writer.TryWrite(new Work(copy, firstOffset, sequence)))
            {
                lock (_positionLock)
                {
                    if (--_queuedBatches == 0 && _readsLive)
                    {
                        _feed.HoldRetention(long.MaxValue);
                    }
                }

                Interlocked.Add(ref _skipped, copy.Count);
                _spare.Add(copy);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never let learning fail an ingest: the events are accepted either way.
            Interlocked.Add(ref _skipped, events.Count);
            Fail(e, "queueing events");
        }
    }

    private void Learn()
    {
        var reader = _queue.Reader;
        var sinceSave = Stopwatch.StartNew();
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (reader.TryRead(out var item))
            {
                if (item.Batch is null)
                {
                    Control(item);
                    continue;
                }

                BeforeFeeding?.Invoke();
                if (_readsLive && !_feed.WaitApplied(item.Sequence, AppliedTimeout))
                {
                    Fail(new TimeoutException($"the shards did not apply batch {item.Sequence} within {AppliedTimeout.TotalSeconds:F0} s"), "reading live features");
                }

                Feed(item.Batch, item.FirstOffset);
                if (_stateDirectory is not null && sinceSave.Elapsed >= _saveInterval)
                {
                    SaveAll();
                    sinceSave.Restart();
                }

                // Counted last: once a batch shows as learned, its save (when one was due) is on disk too.
                int count = item.Batch.Count;
                _spare.Add(item.Batch);
                Interlocked.Add(ref _learned, count);
                lock (_positionLock)
                {
                    _queuedBatches--;
                    _fedThrough = item.FirstOffset + count;
                    if (_readsLive)
                    {
                        // The next batch to learn, when it is queued already; otherwise OnAccepted sets the hold (or
                        // is about to queue one, and the hold stays at this batch's, which is older: safe).
                        if (_queuedBatches == 0)
                        {
                            _feed.HoldRetention(long.MaxValue);
                        }
                        else if (reader.TryPeek(out var next) && next.Batch is not null)
                        {
                            // (A tick or flush next: the hold stays at this batch's, older than any batch behind it.)
                            _feed.HoldRetention(OldestTimeMs(next.Batch) - _readLeadMs);
                        }
                    }
                }
            }
        }
    }

    /// <summary>Wall-clock mode: the stream's clock moves without events, so windows still close on time.</summary>
    private void Tick()
    {
        if (_router.Catalog.Settings.Clock == ClockMode.Wall)
        {
            _queue.Writer.TryWrite(new Work(null, 0, TickMs: _router.NowMs)); // A tick that does not fit: the next one will.
        }
    }

    /// <summary>On the learner thread, in stream order: a clock tick or a flush request.</summary>
    private void Control(Work item)
    {
        if (item.Flush is not { } flush)
        {
            AdvanceClickModels(item.TickMs);
            return;
        }

        if (flush.CloseWindows)
        {
            foreach (var model in ClickModels)
            {
                model.Flush();
            }

            // The closed windows are not in the log: save them now, so a restart does not reopen them.
            SaveAll();
        }

        flush.Done.TrySetResult();
    }

    private void AdvanceClickModels(long nowMs)
    {
        if (nowMs == long.MinValue)
        {
            return;
        }

        foreach (var model in ClickModels)
        {
            model.AdvanceTo(nowMs);
        }
    }

    private static readonly TimeSpan AppliedTimeout = TimeSpan.FromSeconds(30);

    private static long OldestTimeMs(EventBatch batch)
    {
        long oldest = long.MaxValue;
        for (int i = 0; i < batch.Count; i++)
        {
            oldest = Math.Min(oldest, batch[i].TimeMs);
        }

        return oldest;
    }
}
