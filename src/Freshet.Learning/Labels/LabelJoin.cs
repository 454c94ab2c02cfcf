using Freshet.Learning.Features;

namespace Freshet.Learning.Labels;

/// <summary>The key an exposure and its outcome share: a request id, or user and item (as interned ids or hashes).</summary>
public readonly record struct JoinKey(long A, long B);

/// <summary>A labelled example: the exposure's features, the score served with it, and whether an outcome followed.</summary>
public readonly record struct LabeledExample(JoinKey Key, long ExposedAtMs, long LabeledAtMs, SparseVector Features, double ServedScore, bool Positive);

/// <summary>Counters of a <see cref="LabelJoin"/>.</summary>
public readonly record struct LabelJoinStats(long Exposures, long RepeatedExposures, long Positives, long Negatives, long Evicted, long UnmatchedOutcomes, int Pending);

/// <summary>
/// Joins exposures (impressions, views) with later outcomes (clicks, carts, purchases) of the same key inside an
/// attribution window. An exposure opens a pending example holding its features and the score served with it; an
/// outcome of that key within the window emits it as a positive at once; the window closing without one emits it as
/// a negative. A key exposed again while pending stays one example (counted as a repeat), so refreshing a page does
/// not make negatives. Time is event time and only moves forward through <see cref="AdvanceTo"/>. Memory is
/// bounded: beyond <c>maxPending</c>, the example closest to its deadline is closed early as a negative (counted as
/// evicted). Emitted examples lend their <see cref="SparseVector"/> only for the callback; it is reused afterwards.
/// </summary>
public sealed class LabelJoin
{
    private readonly Dictionary<JoinKey, Pending> _pending = [];
    private readonly PriorityQueue<(JoinKey Key, long Serial), long> _deadlines = new();
    private readonly Stack<SparseVector> _spare = new();
    private readonly Action<LabeledExample> _emit;
    private long _serial;
    private long _exposures;
    private long _repeats;
    private long _positives;
    private long _negatives;
    private long _evicted;
    private long _unmatched;

    public LabelJoin(long windowMs, int maxPending, Action<LabeledExample> emit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPending);
        WindowMs = windowMs;
        MaxPending = maxPending;
        _emit = emit;
    }

    public long WindowMs { get; }

    public int MaxPending { get; }

    /// <summary>The latest time passed to <see cref="AdvanceTo"/>.</summary>
    public long NowMs { get; private set; } = long.MinValue;

    public LabelJoinStats Stats => new(_exposures, _repeats, _positives, _negatives, _evicted, _unmatched, _pending.Count);

    /// <summary>Opens a pending example for <paramref name="key"/> unless one is open (then counts a repeat).</summary>
    public void Expose(JoinKey key, long timeMs, SparseVector features, double servedScore)
    {
        AdvanceTo(timeMs);
        _exposures++;
        if (_pending.ContainsKey(key))
        {
            _repeats++;
            return;
        }

        if (_pending.Count >= MaxPending)
        {
            CloseEarliest(evicting: true);
        }

        var copy = _spare.Count > 0 ? _spare.Pop() : new SparseVector(features.Count);
        copy.CopyFrom(features);
        long serial = ++_serial;
        _pending[key] = new Pending(timeMs, serial, copy, servedScore);
        _deadlines.Enqueue((key, serial), timeMs + WindowMs);
    }

    /// <summary>An outcome for <paramref name="key"/>: emits its pending example as a positive, if there is one.</summary>
    public void Outcome(JoinKey key, long timeMs)
    {
        AdvanceTo(timeMs);
        if (!_pending.Remove(key, out var pending))
        {
            _unmatched++;
            return;
        }

        _positives++;
        Emit(key, pending, timeMs, positive: true);
    }

    /// <summary>Moves time to <paramref name="timeMs"/> (never back), emitting as negatives the examples whose window closed.</summary>
    public void AdvanceTo(long timeMs)
    {
        if (timeMs <= NowMs)
        {
            return;
        }

        NowMs = timeMs;
        while (_deadlines.TryPeek(out _, out long deadline) && deadline <= timeMs)
        {
            CloseEarliest(evicting: false);
        }
    }

    /// <summary>Closes every pending example as a negative, labelled at its deadline (the end of a replay).</summary>
    public void Flush()
    {
        while (_deadlines.Count > 0)
        {
            CloseEarliest(evicting: false);
        }
    }

    private void CloseEarliest(bool evicting)
    {
        while (_deadlines.TryDequeue(out var entry, out long deadline))
        {
            // Entries of examples already labelled positive stay in the queue until they surface: skip them.
            if (_pending.TryGetValue(entry.Key, out var pending) && pending.Serial == entry.Serial)
            {
                _pending.Remove(entry.Key);
                _negatives++;
                _evicted += evicting ? 1 : 0;
                Emit(entry.Key, pending, evicting ? Math.Max(NowMs, pending.ExposedAtMs) : deadline, positive: false);
                return;
            }
        }
    }

    private void Emit(JoinKey key, Pending pending, long labeledAtMs, bool positive)
    {
        try
        {
            _emit(new LabeledExample(key, pending.ExposedAtMs, labeledAtMs, pending.Features, pending.ServedScore, positive));
        }
        finally
        {
            _spare.Push(pending.Features);
        }
    }

    private readonly record struct Pending(long ExposedAtMs, long Serial, SparseVector Features, double ServedScore);
}
