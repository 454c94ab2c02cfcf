namespace Freshet.Engine.Shards;

/// <summary>
/// What is applied: every shard pulses the applied signal after each batch and returns the batch's pooled arrays; waits
/// for a batch to become visible to reads block on that signal (or complete a task, for the server's ?wait=true).
/// </summary>
internal sealed partial class PartitionWorker
{
    private readonly object _appliedSignal = new(); // Monitor: shards pulse it after each batch, WaitApplied waits on it.
    // Async waiters for a batch to become visible (HTTP ?wait=true), completed by OnApplied under _appliedSignal.
    private readonly List<(long Sequence, TaskCompletionSource Done)> _visibleWaiters = [];

    /// <summary>Waits until every shard has applied the batch numbered <paramref name="sequence"/> and everything before it.</summary>
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
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_appliedSignal)
        {
            while (MinAppliedSequence() < sequence)
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
    internal void Pause()
    {
        foreach (var shard in _shards)
        {
            shard.Pause();
        }
    }

    internal void Resume()
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
