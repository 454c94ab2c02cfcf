using System.Buffers.Binary;
using Freshet.Hashing;
using Freshet.Learning.Features;

namespace Freshet.Learning.Labels;

/// <summary>The key an exposure and its outcome share: a request id, or user and item (as interned ids or hashes).</summary>
public readonly record struct JoinKey(long A, long B);

/// <summary>An exposure whose outcome just arrived inside its window: its features, to learn the positive at once.</summary>
public readonly record struct PositiveExample(JoinKey Key, long ExposedAtMs, long OutcomeAtMs, SparseVector Features, double ServedScore);

/// <summary>
/// An exposure's final label, given once, when its attribution window closes (or it is closed early, see
/// <see cref="LabelJoin"/>): the scores served with it and whether an outcome followed inside the window.
/// </summary>
public readonly record struct FinalLabel(JoinKey Key, long ExposedAtMs, long FinalAtMs, double ServedScore, double BaselineScore, bool Positive);

/// <summary>Counters of a <see cref="LabelJoin"/>.</summary>
/// <param name="Exposures">Exposure events seen, repeats included.</param>
/// <param name="RepeatedExposures">Exposures of a key whose window was open: joined to its example, not counted again.</param>
/// <param name="Positives">Examples whose outcome arrived inside the window (emitted at once to learn from).</param>
/// <param name="Negatives">Examples whose window closed without an outcome (evicted ones included).</param>
/// <param name="Evicted">Examples closed before their deadline because too many were open.</param>
/// <param name="UnmatchedOutcomes">Outcomes with no open example of their key.</param>
/// <param name="Pending">Examples whose window is still open, positives among them: their label is not final yet.</param>
/// <param name="Final">Examples with a final label (window closed): <see cref="FinalLabel"/>s emitted.</param>
public readonly record struct LabelJoinStats(long Exposures, long RepeatedExposures, long Positives, long Negatives, long Evicted, long UnmatchedOutcomes, int Pending, long Final);

/// <summary>
/// Joins exposures (impressions, views) with later outcomes (clicks, carts, purchases) of the same key inside an
/// attribution window. An exposure opens an example holding its features and the scores served with it. An outcome of
/// that key within the window emits it at once as a <see cref="PositiveExample"/> (a learner need not wait), and
/// frees the key, so a later exposure opens a new example. Every example gets its <see cref="FinalLabel"/> exactly
/// once, when its window closes, positive or not: the examples judged at any moment are those exposed more than a
/// window ago, whatever their label, so figures computed over them are not tilted towards positives (which arrive
/// early) the way counting positives at the outcome and negatives at the window's end would be. A key exposed
/// again while its example is open stays one example (counted as a repeat), so refreshing a page does not make
/// negatives. Time is event time and only moves forward through <see cref="AdvanceTo"/>; <see cref="Flush"/> closes
/// every window (the end of a stream). Open examples are bounded: beyond <c>maxPending</c>, the one closest to its
/// deadline is closed early (a negative so closed is counted as evicted). Emitted examples lend their
/// <see cref="SparseVector"/> only for the callback; it is reused afterwards.
/// </summary>
public sealed class LabelJoin
{
    // Open examples without an outcome yet, by key; and those with one, waiting for their window to close, by serial.
    private readonly Dictionary<JoinKey, Pending> _pending = [];
    private readonly Dictionary<long, Settled> _settled = [];
    // Ordered by deadline, then by exposure order: ties close in the same order in every run and after a restart.
    // One entry per open example, pending or settled.
    private readonly PriorityQueue<(JoinKey Key, long Serial), (long Deadline, long Serial)> _deadlines = new();
    private readonly Stack<SparseVector> _spare = new();
    private readonly Action<PositiveExample> _positive;
    private readonly Action<FinalLabel> _final;
    private long _serial;
    private long _exposures;
    private long _repeats;
    private long _positives;
    private long _negatives;
    private long _evicted;
    private long _unmatched;
    private long _finals;

    /// <summary>A join over <paramref name="windowMs"/>: <paramref name="positive"/> sees each outcome as it joins, <paramref name="final"/> each example's final label.</summary>
    public LabelJoin(long windowMs, int maxPending, Action<PositiveExample> positive, Action<FinalLabel> final)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(windowMs);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPending);
        WindowMs = windowMs;
        MaxPending = maxPending;
        _positive = positive;
        _final = final;
    }

    public long WindowMs { get; }

    public int MaxPending { get; }

    /// <summary>The latest time passed to <see cref="AdvanceTo"/>.</summary>
    public long NowMs { get; private set; } = long.MinValue;

    public LabelJoinStats Stats => new(_exposures, _repeats, _positives, _negatives, _evicted, _unmatched, _deadlines.Count, _finals);

    /// <summary>
    /// Opens an example for <paramref name="key"/> unless one without an outcome is open (then counts a repeat); true
    /// when it opened one. <paramref name="servedScore"/> and <paramref name="baselineScore"/> come back with its final label.
    /// </summary>
    public bool Expose(JoinKey key, long timeMs, SparseVector features, double servedScore, double baselineScore = double.NaN)
    {
        AdvanceTo(timeMs);
        _exposures++;
        if (_pending.ContainsKey(key))
        {
            _repeats++;
            return false;
        }

        if (_deadlines.Count >= MaxPending)
        {
            CloseEarliest(evicting: true);
        }

        var copy = _spare.Count > 0 ? _spare.Pop() : new SparseVector(features.Count);
        copy.CopyFrom(features);
        long serial = ++_serial;
        _pending[key] = new Pending(timeMs, serial, copy, servedScore, baselineScore);
        _deadlines.Enqueue((key, serial), (timeMs + WindowMs, serial));
        return true;
    }

    /// <summary>
    /// Moves time to <paramref name="timeMs"/>; then, when an example of <paramref name="key"/> is open without an outcome,
    /// counts this exposure as a repeat of it (as <see cref="Expose"/> would) and returns true. False when the exposure
    /// would open an example: the caller scores and learns it, then calls <see cref="Expose"/>. A learner that checks
    /// first spends nothing on a repeat, and learns a new example with the pull that scores it.
    /// </summary>
    public bool TryRepeat(JoinKey key, long timeMs)
    {
        AdvanceTo(timeMs);
        if (!_pending.ContainsKey(key))
        {
            return false;
        }

        _exposures++;
        _repeats++;
        return true;
    }

    /// <summary>An outcome for <paramref name="key"/>: emits its open example as a positive, if there is one.</summary>
    public void Outcome(JoinKey key, long timeMs)
    {
        AdvanceTo(timeMs);
        if (!_pending.Remove(key, out var pending))
        {
            _unmatched++;
            return;
        }

        _positives++;
        _settled[pending.Serial] = new Settled(key, pending.ExposedAtMs, pending.ServedScore, pending.BaselineScore);
        try
        {
            _positive(new PositiveExample(key, pending.ExposedAtMs, timeMs, pending.Features, pending.ServedScore));
        }
        finally
        {
            _spare.Push(pending.Features);
        }
    }

    /// <summary>Moves time to <paramref name="timeMs"/> (never back), giving their final label to the examples whose window closed.</summary>
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

    /// <summary>Closes every open window, each at its deadline (the end of a stream: no outcome will follow).</summary>
    public void Flush()
    {
        while (_deadlines.Count > 0)
        {
            CloseEarliest(evicting: false);
        }
    }

    private void CloseEarliest(bool evicting)
    {
        if (!_deadlines.TryDequeue(out var entry, out var priority))
        {
            return;
        }

        long finalAt = evicting ? Math.Max(NowMs, priority.Deadline - WindowMs) : priority.Deadline;
        _finals++;
        if (_settled.Remove(entry.Serial, out var settled))
        {
            _final(new FinalLabel(settled.Key, settled.ExposedAtMs, finalAt, settled.ServedScore, settled.BaselineScore, Positive: true));
            return;
        }

        // Every entry is open: a positive left the pending map for the settled one, keeping its serial.
        var pending = _pending[entry.Key];
        _pending.Remove(entry.Key);
        _negatives++;
        _evicted += evicting ? 1 : 0;
        _spare.Push(pending.Features);
        _final(new FinalLabel(entry.Key, pending.ExposedAtMs, finalAt, pending.ServedScore, pending.BaselineScore, Positive: false));
    }

    private static ReadOnlySpan<byte> Magic => "FRSHJOIN"u8;

    // Version 2: examples whose outcome arrived wait for their window to close; the baseline's score is kept.
    private const int FormatVersion = 2;

    /// <summary>
    /// Writes the open examples (key, exposure time, scores, and the features of those without an outcome yet), the
    /// clock and the counters, followed by an XXH64 of everything before it, so a restart resumes the join with the
    /// same open windows.
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
            foreach (long counter in new[] { _serial, _exposures, _repeats, _positives, _negatives, _evicted, _unmatched, _finals })
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
                w.Write(pending.BaselineScore);
                w.Write(pending.Features.Count);
                for (int i = 0; i < pending.Features.Count; i++)
                {
                    w.Write(pending.Features.Indices[i]);
                    w.Write(pending.Features.Values[i]);
                }
            }

            w.Write(_settled.Count);
            foreach (var (serial, settled) in _settled.OrderBy(p => p.Key))
            {
                w.Write(settled.Key.A);
                w.Write(settled.Key.B);
                w.Write(settled.ExposedAtMs);
                w.Write(serial);
                w.Write(settled.ServedScore);
                w.Write(settled.BaselineScore);
            }
        }

        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        stream.Write(bytes);
        Span<byte> check = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(check, XxHash64.Hash(bytes));
        stream.Write(check);
    }

    /// <summary>Reads a join written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static LabelJoin Load(Stream stream, int maxPending, Action<PositiveExample> positive, Action<FinalLabel> final)
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

        var join = new LabelJoin(r.ReadInt64(), maxPending, positive, final) { NowMs = r.ReadInt64() };
        join._serial = r.ReadInt64();
        join._exposures = r.ReadInt64();
        join._repeats = r.ReadInt64();
        join._positives = r.ReadInt64();
        join._negatives = r.ReadInt64();
        join._evicted = r.ReadInt64();
        join._unmatched = r.ReadInt64();
        join._finals = r.ReadInt64();
        int count = r.ReadInt32();
        for (int p = 0; p < count; p++)
        {
            var key = new JoinKey(r.ReadInt64(), r.ReadInt64());
            long exposedAt = r.ReadInt64();
            long serial = r.ReadInt64();
            double score = r.ReadDouble();
            double baseline = r.ReadDouble();
            int features = r.ReadInt32();
            var x = new SparseVector(features);
            for (int i = 0; i < features; i++)
            {
                x.Add(r.ReadInt32(), r.ReadSingle());
            }

            join._pending[key] = new Pending(exposedAt, serial, x, score, baseline);
            join._deadlines.Enqueue((key, serial), (exposedAt + join.WindowMs, serial));
        }

        count = r.ReadInt32();
        for (int p = 0; p < count; p++)
        {
            var key = new JoinKey(r.ReadInt64(), r.ReadInt64());
            long exposedAt = r.ReadInt64();
            long serial = r.ReadInt64();
            join._settled[serial] = new Settled(key, exposedAt, r.ReadDouble(), r.ReadDouble());
            join._deadlines.Enqueue((key, serial), (exposedAt + join.WindowMs, serial));
        }

        return join;
    }

    private readonly record struct Pending(long ExposedAtMs, long Serial, SparseVector Features, double ServedScore, double BaselineScore);

    private readonly record struct Settled(JoinKey Key, long ExposedAtMs, double ServedScore, double BaselineScore);
}
