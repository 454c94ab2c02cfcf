namespace Freshet.Cli.Replay;

/// <summary>Where a replay is: reading (and sending as it reads), sorting, or sending what it sorted.</summary>
internal enum ReplayPhase
{
    Reading,
    Sorting,
    Sending,
    Finishing,
}

/// <summary>
/// The replay loop: rows from the source through the mapper into the target, in file order, or (with
/// <c>--sort</c>) all into a <see cref="SortBuffer"/> first and then in time order; paced when a speed is given. The
/// loop itself never waits except to hand a full batch off, so reading, mapping and sending overlap.
/// </summary>
internal sealed class ReplayPipeline(IRowSource source, RowMapper mapper, IReplayTarget target, ReplayCounters counters,
    Pacer? pacer, SortBuffer? sortBuffer, long rowLimit)
{
    private volatile ReplayPhase _phase;
    private long _sortedSent;

    public ReplayPhase Phase => _phase;

    /// <summary>Events sent from the sort buffer so far, out of <see cref="SortBuffer.Count"/>.</summary>
    public long SortedSent => Interlocked.Read(ref _sortedSent);

    public SortBuffer? SortBuffer => sortBuffer;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _phase = ReplayPhase.Reading;
        if (sortBuffer is null)
        {
            while (ReadOne(out bool isEvent, cancellationToken))
            {
                if (isEvent)
                {
                    await SendCurrentAsync(cancellationToken);
                }
            }
        }
        else
        {
            await ReadAllAsync(sortBuffer, cancellationToken);
        }

        counters.SetBytesRead(source.Position);
        _phase = ReplayPhase.Finishing;
        await target.CompleteAsync(cancellationToken);
    }

    private async Task SendCurrentAsync(CancellationToken cancellationToken)
    {
        if (pacer is not null && pacer.DelayFor(mapper.CurrentTimeMs) is { } delay && delay > TimeSpan.Zero)
        {
            await target.FlushAsync(cancellationToken);
            await Task.Delay(delay, cancellationToken);
        }

        if (target.IsBatchFull)
        {
            await target.FlushAsync(cancellationToken);
        }

        target.Add(mapper.Current);
    }

    private async Task ReadAllAsync(SortBuffer buffer, CancellationToken cancellationToken)
    {
        while (ReadOne(out bool isEvent, cancellationToken))
        {
            if (isEvent && !buffer.TryAdd(mapper.Current))
            {
                throw new ReplayFailedException($"--sort holds every event in memory and stops at {ReplayFormat.Count(buffer.MaxEvents)} "
                    + "(--sort-limit); this file has more. Sort the file by time first (then replay it without --sort), or raise --sort-limit.");
            }
        }

        _phase = ReplayPhase.Sorting;
        buffer.Sort();
        _phase = ReplayPhase.Sending;
        for (int i = 0; i < buffer.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (pacer is not null && pacer.DelayFor(buffer.TimeOf(i)) is { } delay && delay > TimeSpan.Zero)
            {
                await target.FlushAsync(cancellationToken);
                await Task.Delay(delay, cancellationToken);
            }

            if (target.IsBatchFull)
            {
                await target.FlushAsync(cancellationToken);
            }

            target.Add(buffer.Get(i));
            Interlocked.Exchange(ref _sortedSent, i + 1);
        }
    }

    /// <summary>Reads one row; false at the end of the file (or of <c>--limit</c>). A bad row is counted and skipped.</summary>
    private bool ReadOne(out bool isEvent, CancellationToken cancellationToken)
    {
        isEvent = false;
        cancellationToken.ThrowIfCancellationRequested();
        if (counters.RowsRead >= rowLimit || !source.ReadRow(mapper))
        {
            return false;
        }

        counters.RowRead();
        if ((counters.RowsRead & 255) == 0)
        {
            counters.SetBytesRead(source.Position);
        }

        if (mapper.EndRow(out var rejection))
        {
            counters.EventMapped(mapper.CurrentTimeMs);
            isEvent = true;
        }
        else
        {
            counters.RejectLocal(rejection);
        }

        return true;
    }
}
