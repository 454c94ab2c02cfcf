using Freshet.Files.Mapping;
using Freshet.Files.Sorting;
using Freshet.Files.Sources;

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
    private long _sortTotal;

    public ReplayPhase Phase => _phase;

    /// <summary>Events sent in time order so far, out of <see cref="SortTotal"/>.</summary>
    public long SortedSent => Interlocked.Read(ref _sortedSent);

    /// <summary>Events sorted (in memory, or in runs on disk when the file has more than the buffer holds).</summary>
    public long SortTotal => Interlocked.Read(ref _sortTotal);

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
        using var runs = new SortRuns();
        while (ReadOne(out bool isEvent, cancellationToken))
        {
            if (isEvent && !buffer.TryAdd(mapper.Current))
            {
                // More events than memory holds: this many go to disk as a sorted run, to be merged with the others.
                _phase = ReplayPhase.Sorting;
                buffer.Sort();
                runs.Write(buffer);
                buffer.Clear();
                buffer.TryAdd(mapper.Current);
                _phase = ReplayPhase.Reading;
            }
        }

        _phase = ReplayPhase.Sorting;
        buffer.Sort();
        if (runs.Count > 0)
        {
            runs.Write(buffer);
            _sortTotal = runs.Events;
            buffer.Clear();
            await SendMergedAsync(runs, cancellationToken);
            return;
        }

        _sortTotal = buffer.Count;
        _phase = ReplayPhase.Sending;
        for (int i = 0; i < buffer.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await SendSortedAsync(buffer.TimeOf(i), cancellationToken);
            target.Add(buffer.Get(i));
            Interlocked.Exchange(ref _sortedSent, i + 1);
        }
    }

    private async Task SendMergedAsync(SortRuns runs, CancellationToken cancellationToken)
    {
        _phase = ReplayPhase.Sending;
        using var merger = runs.Merge();
        long sent = 0;
        while (merger.TryNext())
        {
            cancellationToken.ThrowIfCancellationRequested();
            await SendSortedAsync(merger.CurrentTimeMs, cancellationToken);
            target.Add(merger.Current);
            Interlocked.Exchange(ref _sortedSent, ++sent);
        }
    }

    /// <summary>Paces and makes room for the next sorted event.</summary>
    private async ValueTask SendSortedAsync(long timeMs, CancellationToken cancellationToken)
    {
        if (pacer is not null && pacer.DelayFor(timeMs) is { } delay && delay > TimeSpan.Zero)
        {
            await target.FlushAsync(cancellationToken);
            await Task.Delay(delay, cancellationToken);
        }

        if (target.IsBatchFull)
        {
            await target.FlushAsync(cancellationToken);
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
