using Freshet.Files.Mapping;

namespace Freshet.Cli.Replay;

/// <summary>
/// What a replay has done so far, updated by the reading loop and by the target (the sending tasks of the HTTP target
/// run concurrently, hence the interlocked counters), read by the progress view and the summary. Keeps the count of
/// rejections by reason and where they happened, and the first few rejections by line for the summary.
/// </summary>
internal sealed class ReplayCounters
{
    /// <summary>Rejections listed in the summary (the lowest line numbers).</summary>
    public const int Samples = 10;

    /// <summary>The reason of rejections the server counted without listing them.</summary>
    public const string Unlisted = "unlisted";

    private readonly Lock _lock = new();
    private readonly Dictionary<(string Reason, bool Local), long> _byReason = [];
    private readonly List<Rejection> _samples = [];
    private long _rowsRead;
    private long _eventsMapped;
    private long _eventsSent;
    private long _accepted;
    private long _duplicates;
    private long _rejectedLocal;
    private long _rejectedByTarget;
    private long _bytesRead;
    private long _requests;
    private long _retries;

    public long RowsRead => Interlocked.Read(ref _rowsRead);

    /// <summary>Rows that became events (before any sorting or sending).</summary>
    public long EventsMapped => Interlocked.Read(ref _eventsMapped);

    /// <summary>Events handed to the target and answered for (accepted, duplicate or rejected there).</summary>
    public long EventsSent => Interlocked.Read(ref _eventsSent);

    public long Accepted => Interlocked.Read(ref _accepted);

    public long Duplicates => Interlocked.Read(ref _duplicates);

    public long RejectedLocal => Interlocked.Read(ref _rejectedLocal);

    public long RejectedByTarget => Interlocked.Read(ref _rejectedByTarget);

    public long Rejected => RejectedLocal + RejectedByTarget;

    public long BytesRead => Interlocked.Read(ref _bytesRead);

    public long Requests => Interlocked.Read(ref _requests);

    public long Retries => Interlocked.Read(ref _retries);

    public void RowRead() => _rowsRead++;

    /// <summary>The earliest time of the events read, for hints in the summary.</summary>
    public long EarliestEventMs { get; private set; } = long.MaxValue;

    public void EventMapped(long timeMs)
    {
        _eventsMapped++;
        EarliestEventMs = Math.Min(EarliestEventMs, timeMs);
    }

    public void SetBytesRead(long bytes) => Volatile.Write(ref _bytesRead, bytes);

    public void Request() => Interlocked.Increment(ref _requests);

    public void Retry() => Interlocked.Increment(ref _retries);

    /// <summary>Records a target's answer for <paramref name="sent"/> events (its rejections are reported one by one).</summary>
    public void Answered(int sent, int accepted, int duplicates)
    {
        Interlocked.Add(ref _eventsSent, sent);
        Interlocked.Add(ref _accepted, accepted);
        Interlocked.Add(ref _duplicates, duplicates);
    }

    /// <summary>A row rejected while reading the file (it was never sent).</summary>
    public void RejectLocal(in Rejection rejection)
    {
        Interlocked.Increment(ref _rejectedLocal);
        Record(rejection, local: true);
    }

    /// <summary>An event the server or the engine rejected.</summary>
    public void RejectByTarget(in Rejection rejection)
    {
        Interlocked.Increment(ref _rejectedByTarget);
        Record(rejection, local: false);
    }

    /// <summary>Rejections the target counted without listing them (the server lists at most so many per request).</summary>
    public void RejectUnlisted(int count)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _rejectedByTarget, count);
        lock (_lock)
        {
            var key = (Unlisted, false);
            _byReason[key] = _byReason.GetValueOrDefault(key) + count;
        }
    }

    public IReadOnlyList<(string Reason, bool Local, long Count)> ByReason()
    {
        lock (_lock)
        {
            return _byReason.OrderBy(r => r.Key.Local ? 0 : 1).ThenByDescending(r => r.Value).ThenBy(r => r.Key.Reason, StringComparer.Ordinal)
                .Select(r => (r.Key.Reason, r.Key.Local, r.Value)).ToArray();
        }
    }

    public long CountOf(string reason)
    {
        lock (_lock)
        {
            return _byReason.Where(r => r.Key.Reason == reason).Sum(r => r.Value);
        }
    }

    /// <summary>The first rejections by line number.</summary>
    public IReadOnlyList<Rejection> FirstRejections()
    {
        lock (_lock)
        {
            return [.. _samples.OrderBy(s => s.Line).Take(Samples)];
        }
    }

    private void Record(in Rejection rejection, bool local)
    {
        lock (_lock)
        {
            var key = (rejection.Reason, local);
            _byReason[key] = _byReason.GetValueOrDefault(key) + 1;
            _samples.Add(rejection);
            if (_samples.Count >= 4 * Samples)
            {
                // Keep the lowest lines only: rejections from concurrent requests arrive out of order.
                _samples.Sort((a, b) => a.Line.CompareTo(b.Line));
                _samples.RemoveRange(Samples, _samples.Count - Samples);
            }
        }
    }
}
