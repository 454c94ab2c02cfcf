namespace Freshet.Engine.Ingest;

/// <summary>
/// Remembers the event ids seen inside a horizon so that a client's retry is counted once. Ids are kept as their
/// 64-bit content hashes in two generations: the current one collects new ids, the previous one is still consulted,
/// and when the current one is <c>horizon</c> old the previous one is dropped. An id is therefore remembered for at
/// least the horizon (and at most twice it), measured on the engine's clock, unless more than
/// <c>capacity</c> new ids arrive within one horizon: then the generation turns early so memory stays bounded, and
/// <see cref="EarlyTurns"/> says the horizon was shortened. Two distinct ids collide with probability about
/// n²/2⁶⁵ (under 10⁻⁶ for ten million ids in the horizon). Not thread-safe: the engine calls it under its ingest lock.
/// </summary>
internal sealed class DedupWindow
{
    private readonly long _horizonMs;
    private readonly int _capacity;
    private IdSet _current = new();
    private IdSet _previous = new();
    private long _currentStartMs = long.MinValue;

    public DedupWindow(long horizonMs, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(horizonMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _horizonMs = horizonMs;
        _capacity = capacity;
    }

    /// <summary>Times a generation had to turn before its horizon was up because it held <c>capacity</c> ids.</summary>
    public long EarlyTurns { get; private set; }

    /// <summary>Ids remembered now, in both generations.</summary>
    public int Count => _current.Count + _previous.Count;

    /// <summary>Bytes held by the two generations' tables.</summary>
    public long Bytes => _current.Bytes + _previous.Bytes;

    /// <summary>
    /// Records <paramref name="idHash"/> as seen at <paramref name="nowMs"/>; false when it was already seen inside the
    /// horizon (a duplicate). <paramref name="idHash"/> 0 means the event has no id: always true, nothing recorded.
    /// </summary>
    public bool TryAdd(ulong idHash, long nowMs)
    {
        if (idHash == 0 || _horizonMs == 0)
        {
            return true;
        }

        Turn(nowMs);
        if (_previous.Contains(idHash) || !_current.TryAdd(idHash))
        {
            return false;
        }

        if (_current.Count >= _capacity)
        {
            EarlyTurns++;
            (_previous, _current) = (_current, _previous);
            _current.Clear();
            _currentStartMs = nowMs;
        }

        return true;
    }

    /// <summary>A copy of the window (both generations), taken under the ingest lock and written to a checkpoint after.</summary>
    public DedupSnapshot Capture() =>
        new(_currentStartMs, EarlyTurns, _current.CopySlots(), _current.Count, _previous.CopySlots(), _previous.Count);

    /// <summary>Puts back a window captured by <see cref="Capture"/> (recovery, before any event is ingested).</summary>
    public void Restore(DedupSnapshot snapshot)
    {
        _currentStartMs = snapshot.CurrentStartMs;
        EarlyTurns = snapshot.EarlyTurns;
        _current.Restore(snapshot.Current, snapshot.CurrentCount);
        _previous.Restore(snapshot.Previous, snapshot.PreviousCount);
    }

    private void Turn(long nowMs)
    {
        if (_currentStartMs == long.MinValue)
        {
            _currentStartMs = nowMs;
            return;
        }

        if (nowMs - _currentStartMs < _horizonMs)
        {
            return;
        }

        if (nowMs - _currentStartMs >= 2 * _horizonMs)
        {
            // Both generations are older than the horizon: nothing in them can still be a retry.
            _previous.Clear();
        }
        else
        {
            (_previous, _current) = (_current, _previous);
        }

        _current.Clear();
        _currentStartMs = nowMs;
    }

    /// <summary>An open-addressing set of non-zero 64-bit hashes (0 marks an empty slot), grown by doubling.</summary>
    private sealed class IdSet
    {
        private const int InitialSlots = 1024;
        private ulong[] _slots = new ulong[InitialSlots];

        public int Count { get; private set; }

        public long Bytes => (long)_slots.Length * sizeof(ulong);

        public bool Contains(ulong hash)
        {
            int mask = _slots.Length - 1;
            for (int i = (int)(hash & (ulong)mask); ; i = (i + 1) & mask)
            {
                ulong slot = _slots[i];
                if (slot == hash)
                {
                    return true;
                }

                if (slot == 0)
                {
                    return false;
                }
            }
        }

        /// <summary>Adds <paramref name="hash"/>; false when it was already there.</summary>
        public bool TryAdd(ulong hash)
        {
            if ((Count + 1) * 4 > _slots.Length * 3)
            {
                Grow();
            }

            int mask = _slots.Length - 1;
            for (int i = (int)(hash & (ulong)mask); ; i = (i + 1) & mask)
            {
                ulong slot = _slots[i];
                if (slot == hash)
                {
                    return false;
                }

                if (slot == 0)
                {
                    _slots[i] = hash;
                    Count++;
                    return true;
                }
            }
        }

        public ulong[] CopySlots() => (ulong[])_slots.Clone();

        public void Restore(ulong[] slots, int count)
        {
            if (slots.Length == 0 || (slots.Length & (slots.Length - 1)) != 0 || count > slots.Length * 3 / 4)
            {
                throw new InvalidDataException($"a dedup table of {slots.Length} slots holding {count} ids");
            }

            _slots = slots;
            Count = count;
        }

        /// <summary>Empties the set, keeping its table (the next generation is usually as large as this one).</summary>
        public void Clear()
        {
            Array.Clear(_slots);
            Count = 0;
        }

        private void Grow()
        {
            var old = _slots;
            _slots = new ulong[old.Length * 2];
            Count = 0;
            foreach (ulong hash in old)
            {
                if (hash != 0)
                {
                    TryAdd(hash);
                }
            }
        }
    }
}

/// <summary>The dedup window as it was at a checkpoint: both generations' tables and when the current one started.</summary>
internal sealed record DedupSnapshot(long CurrentStartMs, long EarlyTurns, ulong[] Current, int CurrentCount, ulong[] Previous, int PreviousCount);
