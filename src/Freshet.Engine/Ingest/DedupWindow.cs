namespace Freshet.Engine.Ingest;

/// <summary>
/// Remembers the event ids seen inside a horizon so that a client's retry is counted once. Ids are kept as their 64-bit
/// content hashes in time-bucketed generations: a new generation opens every <see cref="SubGenerations"/>th of the
/// horizon, every generation is consulted, and a generation is dropped once its newest id is a whole horizon old. So an
/// id is remembered for at least the horizon and at most a horizon and one sub-generation, measured on the engine's
/// clock, and expiry frees memory a little at a time instead of halving it at once.
/// <para>
/// Memory is bounded by a budget in bytes, never by shortening the horizon: when the tables cannot take a batch's ids
/// within the budget and every remembered id is still inside the horizon, <see cref="TryReserve"/> refuses the batch
/// (the caller refuses the request, retryable), because forgetting an id early would count its retry twice. Events
/// without an id are never affected. Only recovery may forget early — when a checkpoint or the replayed log holds more
/// than a smaller budget takes — and <see cref="ForgottenEarly"/> counts it.
/// </para>
/// Two distinct ids collide with probability about n²/2⁶⁵ (under 10⁻⁶ for ten million ids in the horizon). Not
/// thread-safe: the engine calls it under its ingest lock; the statistics properties may be read without it.
/// </summary>
internal sealed partial class DedupWindow
{
    /// <summary>
    /// Generations per horizon: ids are held for at most 1¼ horizons, and each expiry frees about a fifth. More would
    /// hold fewer extra ids but cost a lookup each per event (about 60 ns each for tables past the cache, measured).
    /// </summary>
    public const int SubGenerations = 4;

    /// <summary>The smallest budget accepted: a handful of minimal tables.</summary>
    public const long MinBudgetBytes = EngineOptions.DedupMemoryMinBytes;

    // Sub-generations, plus generations opened early because the open table could not double within the budget (each
    // is one more lookup per event, so they are capped).
    private const int MaxGenerations = 3 * SubGenerations;

    private readonly long _horizonMs;
    private readonly long _spanMs;
    private readonly long _budgetBytes;
    private readonly List<DedupGeneration> _generations = []; // oldest first; the last one takes new ids
    // The table of the newest dropped generation, kept (and counted in the bytes) for the next generation to open: in a
    // steady flow a generation's table is the size the last one needed, so nothing is allocated or rehashed.
    private ulong[]? _spare;
    private int _reservedIds; // ids TryReserve made room for and TryAdd has not yet taken
    private long _ids;
    private long _bytes;
    private long _oldestFirstMs = long.MinValue;
    private long _refusedBatches;
    private long _refusedIds;
    private long _forgottenEarly;
    private ulong _touched; // where Remembers leaves its prefetching loads, so the JIT cannot drop them

    public DedupWindow(long horizonMs, long budgetBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(horizonMs);
        ArgumentOutOfRangeException.ThrowIfLessThan(budgetBytes, MinBudgetBytes);
        _horizonMs = horizonMs;
        _spanMs = Math.Max(1, horizonMs / SubGenerations);
        _budgetBytes = budgetBytes;
    }

    public long HorizonMs => _horizonMs;

    public long BudgetBytes => _budgetBytes;

    /// <summary>Ids remembered now, in every generation.</summary>
    public long Count => Volatile.Read(ref _ids);

    /// <summary>Bytes held by the generations' tables (and the one spare table kept for the next generation).</summary>
    public long Bytes => Volatile.Read(ref _bytes);

    /// <summary>
    /// Ids the budget holds with every table at its fullest (¾ of its slots); between half that and that in practice,
    /// as tables double.
    /// </summary>
    public long CapacityIds => _budgetBytes / DedupGeneration.BytesPerSlot * DedupGeneration.MaxLoadNumerator / DedupGeneration.MaxLoadDenominator;

    /// <summary>Batches refused because their ids did not fit the budget while every remembered id was inside the horizon.</summary>
    public long RefusedBatches => Interlocked.Read(ref _refusedBatches);

    /// <summary>Ids in the refused batches.</summary>
    public long RefusedIds => Interlocked.Read(ref _refusedIds);

    /// <summary>Ids dropped before their horizon was up: only recovery into a smaller budget does that.</summary>
    public long ForgottenEarly => Interlocked.Read(ref _forgottenEarly);

    /// <summary>How old the oldest remembered id is at <paramref name="nowMs"/> (at least that; 0 when none is held).</summary>
    public long CoveredMs(long nowMs)
    {
        long oldest = Volatile.Read(ref _oldestFirstMs);
        return oldest == long.MinValue || nowMs == long.MinValue ? 0 : Math.Max(0, nowMs - oldest);
    }

    /// <summary>
    /// Makes room for <paramref name="ids"/> more ids at <paramref name="nowMs"/>: drops generations wholly older than
    /// the horizon, opens a new one when the open one's span is up, and checks the budget. False when they do not fit
    /// while everything remembered is still inside the horizon; the caller then takes none of the batch's events (and
    /// calls <see cref="CountRefusal"/>). The following <see cref="TryAdd"/> calls never exceed the budget.
    /// </summary>
    public bool TryReserve(int ids, long nowMs)
    {
        _reservedIds = 0;
        if (ids <= 0 || _horizonMs == 0)
        {
            return true;
        }

        if (!MakeRoom(ids, nowMs))
        {
            return false;
        }

        _reservedIds = ids;
        return true;
    }

    /// <summary>Counts a batch refused because <paramref name="ids"/> new ids did not fit (for the statistics).</summary>
    public void CountRefusal(int ids)
    {
        Interlocked.Increment(ref _refusedBatches);
        Interlocked.Add(ref _refusedIds, ids);
    }

    /// <summary>True when <paramref name="idHash"/> is remembered (so adding it takes no memory).</summary>
    public bool Remembers(ulong idHash)
    {
        var generations = _generations;
        // Load every generation's home slot first, with no branch on what is loaded, so the cache misses overlap; the
        // probe loops below then mostly hit the cache. Probing table after table directly made each miss wait for the
        // previous probe's data-dependent exit: nine lookups cost about seven times the two of a two-table window.
        ulong touched = 0;
        for (int g = 0; g < generations.Count; g++)
        {
            touched ^= generations[g].HomeSlot(idHash);
        }

        _touched = touched;

        // Newest first: a retry usually follows its original closely.
        for (int g = generations.Count - 1; g >= 0; g--)
        {
            if (generations[g].Contains(idHash))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Records <paramref name="idHash"/> as seen at <paramref name="nowMs"/>; false when it was already seen inside the
    /// horizon (a duplicate). <paramref name="idHash"/> 0 means the event has no id: always true, nothing recorded.
    /// Without a reservation (recovery replaying the log, which must take every logged id) it makes room itself, and
    /// when the budget cannot hold it, forgets the oldest generation early and counts that.
    /// </summary>
    public bool TryAdd(ulong idHash, long nowMs)
    {
        if (idHash == 0 || _horizonMs == 0)
        {
            return true;
        }

        if (_reservedIds == 0)
        {
            // No reservation aged the window for this clock: do it before the lookup, or a generation a horizon old
            // would still answer "seen" and the id would not be remembered anew.
            Expire(nowMs);
        }

        if (Remembers(idHash))
        {
            return false;
        }

        if (_reservedIds > 0)
        {
            _reservedIds--;
        }
        else
        {
            while (!MakeRoom(1, nowMs))
            {
                ForgetOldest();
            }
        }

        var open = _generations[^1];
        long before = open.Bytes;
        open.Add(idHash, nowMs);
        Volatile.Write(ref _bytes, _bytes + open.Bytes - before);
        Volatile.Write(ref _ids, _ids + 1);
        return true;
    }

    /// <summary>How long after <paramref name="nowMs"/> the oldest generation expires and frees its memory.</summary>
    public long MsUntilOldestExpires(long nowMs) =>
        _generations.Count == 0 ? 0 : Math.Clamp(_generations[0].LastMs + _horizonMs - nowMs, 0, _horizonMs);

    private bool MakeRoom(int ids, long nowMs)
    {
        Expire(nowMs);
        if (_generations.Count == 0 || nowMs - _generations[^1].FirstMs >= _spanMs)
        {
            return TryOpen(ids, nowMs);
        }

        var open = _generations[^1];
        long growth = (DedupGeneration.SlotsFor(open.Count + ids) - open.Slots.Length) * (long)DedupGeneration.BytesPerSlot;
        if (EnsureFree(growth))
        {
            return true;
        }

        // Doubling the open table does not fit, but a small table for these ids may: the open generation closes early,
        // which costs nothing but one more lookup per event until it expires.
        return _generations.Count < MaxGenerations && TryOpen(ids, nowMs);
    }

    private bool TryOpen(int ids, long nowMs)
    {
        int slots = DedupGeneration.SlotsFor(ids);
        ulong[] table;
        if (_spare is { } spare && spare.Length >= slots)
        {
            // Already counted in the bytes; cleared here rather than when dropped, so an idle window costs nothing.
            Array.Clear(spare);
            table = spare;
            _spare = null;
        }
        else
        {
            ReleaseSpare();
            if (!EnsureFree(slots * (long)DedupGeneration.BytesPerSlot))
            {
                return false;
            }

            table = new ulong[slots];
            Volatile.Write(ref _bytes, _bytes + table.Length * (long)DedupGeneration.BytesPerSlot);
        }

        _generations.Add(new DedupGeneration(table, nowMs));
        if (_generations.Count == 1)
        {
            Volatile.Write(ref _oldestFirstMs, nowMs);
        }

        return true;
    }

    /// <summary>Drops the generations whose newest id is a whole horizon old at <paramref name="nowMs"/>.</summary>
    private void Expire(long nowMs)
    {
        while (_generations.Count > 0 && nowMs - _generations[0].LastMs >= _horizonMs)
        {
            Drop();
        }
    }

    /// <summary>Recovery only: the budget cannot hold a logged id, so the oldest generation goes before its time.</summary>
    private void ForgetOldest()
    {
        if (_generations.Count == 0)
        {
            // Unreachable with a budget of at least MinBudgetBytes: an empty window always has room for one table.
            throw new InvalidOperationException($"the dedup budget of {_budgetBytes} bytes cannot hold a single table");
        }

        Interlocked.Add(ref _forgottenEarly, _generations[0].Count);
        Drop();
        ReleaseSpare();
    }

    private void Drop()
    {
        var oldest = _generations[0];
        _generations.RemoveAt(0);
        Volatile.Write(ref _ids, _ids - oldest.Count);
        Volatile.Write(ref _oldestFirstMs, _generations.Count > 0 ? _generations[0].FirstMs : long.MinValue);
        // Keep the larger of the two tables for the next generation; the other goes back to the runtime.
        if (_spare is null || oldest.Slots.Length > _spare.Length)
        {
            ReleaseSpare();
            _spare = oldest.Slots;
        }
        else
        {
            Volatile.Write(ref _bytes, _bytes - oldest.Bytes);
        }
    }

    private bool EnsureFree(long bytes)
    {
        if (_bytes + bytes > _budgetBytes)
        {
            ReleaseSpare();
        }

        return _bytes + bytes <= _budgetBytes;
    }

    private void ReleaseSpare()
    {
        if (_spare is { } spare)
        {
            Volatile.Write(ref _bytes, _bytes - spare.Length * (long)DedupGeneration.BytesPerSlot);
            _spare = null;
        }
    }
}
