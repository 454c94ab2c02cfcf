using Freshet.Seams;
using Freshet.Engine.Shards;

namespace Freshet.Engine;

/// <summary>
/// Progress and backpressure: waiting until batches are applied (visible to queries), whether the shard queues are
/// full, and the test hook that pauses the shards.
/// </summary>
public sealed partial class FreshetEngine
{
    /// <summary>Waits until every shard has applied everything ingested before the call.</summary>
    public bool Flush(TimeSpan timeout) => WaitApplied(Volatile.Read(ref _sequence), timeout);

    /// <summary>
    /// Waits until every shard has applied the batch numbered <paramref name="sequence"/> (see
    /// <see cref="IngestResult.Sequence"/>) and everything before it, so queries see those events.
    /// </summary>
    public async Task<bool> WaitAppliedAsync(long sequence, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        TaskCompletionSource done;
        lock (_appliedSignal)
        {
            if (MinAppliedSequence() >= sequence)
            {
                return true;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _visibleWaiters.Add((sequence, done));
        }

        try
        {
            await done.Task.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            lock (_appliedSignal)
            {
                _visibleWaiters.RemoveAll(w => w.Done == done);
            }

            return false;
        }
    }

    /// <inheritdoc cref="WaitAppliedAsync"/>
    public bool WaitApplied(long sequence, TimeSpan timeout)
    {
        long target = sequence;
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_appliedSignal)
        {
            while (_shards.Any(s => s.AppliedSequence < target))
            {
                long remaining = deadline - Environment.TickCount64;
                if (remaining <= 0)
                {
                    return false;
                }

                Monitor.Wait(_appliedSignal, TimeSpan.FromMilliseconds(Math.Min(remaining, 100)));
            }
        }

        return true;
    }

    /// <summary>Batches each shard queues before <see cref="Ingest"/> blocks.</summary>
    public int QueueCapacity => _queueCapacity;

    /// <summary>
    /// True while some shard's queue is full, so the next <see cref="Ingest"/> would block until that shard catches
    /// up. Servers use it to answer "overloaded, retry later" instead of holding requests.
    /// </summary>
    public bool IsSaturated
    {
        get
        {
            foreach (var shard in _shards)
            {
                if (shard.QueueDepth >= _queueCapacity)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Tests only: open coarse tiles read for their closed children, over all shards.</summary>
    internal long PartialTilesRead => _shards.Sum(s => s.PartialTilesRead);

    /// <summary>Tests only: see <see cref="Shard.BetweenRollUpChunks"/>.</summary>
    internal void OnRollUpChunk(Action action)
    {
        foreach (var shard in _shards)
        {
            shard.BetweenRollUpChunks = action;
        }
    }

    /// <summary>Tests only: every shard stops applying after the batch in hand, so queues fill up.</summary>
    internal void PauseShards()
    {
        foreach (var shard in _shards)
        {
            shard.Pause();
        }
    }

    internal void ResumeShards()
    {
        foreach (var shard in _shards)
        {
            shard.Resume();
        }
    }

    private void OnApplied(ShardWork work)
    {
        if (work.Items is not null)
        {
            _freeItems[work.ShardIndex].Enqueue(work.Items);
        }

        if (work.Batch is { } shared && shared.Release())
        {
            shared.Events.Clear();
            _batchPool.Add(shared);
        }

        lock (_appliedSignal)
        {
            Monitor.PulseAll(_appliedSignal);
            if (_visibleWaiters.Count > 0)
            {
                long applied = MinAppliedSequence();
                for (int i = _visibleWaiters.Count - 1; i >= 0; i--)
                {
                    if (_visibleWaiters[i].Sequence <= applied)
                    {
                        _visibleWaiters[i].Done.TrySetResult();
                        _visibleWaiters.RemoveAt(i);
                    }
                }
            }
        }
    }

    private long MinAppliedSequence()
    {
        long min = long.MaxValue;
        foreach (var shard in _shards)
        {
            min = Math.Min(min, shard.AppliedSequence);
        }

        return min;
    }
}
