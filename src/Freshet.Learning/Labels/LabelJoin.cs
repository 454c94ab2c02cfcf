using System.Buffers.Binary;
using Freshet.Hashing;
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
/// not make negatives. Time is event time and only moves forward through <see cref="AdvanceTo"/>. Pending examples
/// are bounded: beyond <c>maxPending</c>, the example closest to its deadline is closed early as a negative (counted
/// as evicted). The deadline queue also keeps an entry for each example already labelled positive until its deadline
/// passes, so it holds at most the exposures of one window. Emitted examples lend their <see cref="SparseVector"/> only for the callback; it is reused afterwards.
/// </summary>
public sealed class LabelJoin
{
    private readonly Dictionary<JoinKey, Pending> _pending = [];
    // Ordered by deadline, then by exposure order: ties close in the same order in every run and after a restart.
    private readonly PriorityQueue<(JoinKey Key, long Serial), (long Deadline, long Serial)> _deadlines = new();
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

    /// <summary>
    /// Opens a pending example for <paramref name="key"/> unless one is open (then counts a repeat); true when it
    /// opened one.
    /// </summary>
    public bool Expose(JoinKey key, long timeMs, SparseVector features, double servedScore)
    {
        AdvanceTo(timeMs);
        _exposures++;
        if (_pending.ContainsKey(key))
        {
            _repeats++;
            return false;
        }

        if (_pending.Count >= MaxPending)
        {
            CloseEarliest(evicting: true);
        }

        var copy = _spare.Count > 0 ? _spare.Pop() : new SparseVector(features.Count);
        copy.CopyFrom(features);
        long serial = ++_serial;
        _pending[key] = new Pending(timeMs, serial, copy, servedScore);
        _deadlines.Enqueue((key, serial), (timeMs + WindowMs, serial));
        return true;
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
        while (_deadlines.TryPeek(out _, out var next) && next.Deadline <= timeMs)
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
        while (_deadlines.TryDequeue(out var entry, out var priority))
        {
            // Entries of examples already labelled positive stay in the queue until they surface: skip them.
            if (_pending.TryGetValue(entry.Key, out var pending) && pending.Serial == entry.Serial)
            {
                _pending.Remove(entry.Key);
                _negatives++;
                _evicted += evicting ? 1 : 0;
                Emit(entry.Key, pending, evicting ? Math.Max(NowMs, pending.ExposedAtMs) : priority.Deadline, positive: false);
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

    private static ReadOnlySpan<byte> Magic => "FRSHJOIN"u8;
    private const int FormatVersion = 1;

    /// <summary>
    /// Writes the pending examples (key, exposure time, served score, features), the clock and the counters, followed
    /// by an XXH64 of everything before it, so a restart resumes the join with the same open windows.
    /// </summary>
    public void Save(Stream stream)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(FormatVersion);
            w.Write(WindowMs);
            w.Write(NowMs);
            foreach (long counter in new[] { _serial, _exposures, _repeats, _positives, _negatives, _evicted, _unmatched })
            {
                w.Write(counter);
            }

            w.Write(_pending.Count);
            foreach (var (key, pending) in _pending.OrderBy(p => p.Value.Serial))
            {
                w.Write(key.A);
                w.Write(key.B);
                w.Write(pending.ExposedAtMs);
                w.Write(pending.Serial);
                w.Write(pending.ServedScore);
                w.Write(pending.Features.Count);
                for (int i = 0; i < pending.Features.Count; i++)
                {
                    w.Write(pending.Features.Indices[i]);
                    w.Write(pending.Features.Values[i]);
                }
            }
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        stream.Write(bytes);
        Span<byte> check = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(check, XxHash64.Hash(bytes));
        stream.Write(check);
    }

    /// <summary>Reads a join written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LabelJoin Load(Stream stream, int maxPending, Action<LabeledExample> emit)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        var all = copy.GetBuffer().AsSpan(0, (int)copy.Length);
        if (all.Length < Magic.Length + 8 || !all[..Magic.Length].SequenceEqual(Magic))
        {
            throw new InvalidDataException("not a label join checkpoint (bad magic)");
        }

        var body = all[..^8];
        if (BinaryPrimitives.ReadUInt64LittleEndian(all[^8..]) != XxHash64.Hash(body))
        {
            throw new InvalidDataException("label join checkpoint is damaged (checksum mismatch)");
        }

        using var r = new BinaryReader(new MemoryStream(copy.GetBuffer(), 0, body.Length));
        r.ReadBytes(Magic.Length);
        int version = r.ReadInt32();
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"label join checkpoint version {version} is not supported (this build reads {FormatVersion})");
        }

        var join = new LabelJoin(r.ReadInt64(), maxPending, emit) { NowMs = r.ReadInt64() };
        join._serial = r.ReadInt64();
        join._exposures = r.ReadInt64();
        join._repeats = r.ReadInt64();
        join._positives = r.ReadInt64();
        join._negatives = r.ReadInt64();
        join._evicted = r.ReadInt64();
        join._unmatched = r.ReadInt64();
        int count = r.ReadInt32();
        for (int p = 0; p < count; p++)
        {
            var key = new JoinKey(r.ReadInt64(), r.ReadInt64());
            long exposedAt = r.ReadInt64();
            long serial = r.ReadInt64();
            double score = r.ReadDouble();
            int features = r.ReadInt32();
            var x = new SparseVector(features);
            for (int i = 0; i < features; i++)
            {
                x.Add(r.ReadInt32(), r.ReadSingle());
            }

            join._pending[key] = new Pending(exposedAt, serial, x, score);
            join._deadlines.Enqueue((key, serial), (exposedAt + join.WindowMs, serial));
        }

        return join;
    }

    private readonly record struct Pending(long ExposedAtMs, long Serial, SparseVector Features, double ServedScore);
}
