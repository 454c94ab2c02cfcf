namespace Freshet.Engine.Ingest;

/// <summary>
/// One generation of the dedup window: an open-addressing set of non-zero 64-bit id hashes (0 marks an empty slot,
/// linear probing, at most ¾ full, grown by doubling), with the engine-clock times of its first and newest id.
/// </summary>
internal sealed class DedupGeneration(ulong[] slots, long firstMs)
{
    public const int BytesPerSlot = sizeof(ulong);
    public const int MaxLoadNumerator = 3;
    public const int MaxLoadDenominator = 4;
    private const int MinSlots = 256;

    public ulong[] Slots { get; private set; } = slots;

    public int Count { get; private set; }

    /// <summary>When the generation opened (its first id is no older).</summary>
    public long FirstMs { get; } = firstMs;

    /// <summary>The engine-clock time of its newest id: the generation expires a horizon after it.</summary>
    public long LastMs { get; private set; } = firstMs;

    public long Bytes => (long)Slots.Length * BytesPerSlot;

    /// <summary>The power-of-two table size that holds <paramref name="ids"/> at most ¾ full.</summary>
    public static int SlotsFor(long ids)
    {
        long needed = Math.Max(MinSlots, ((ids * MaxLoadDenominator) + MaxLoadNumerator - 1) / MaxLoadNumerator);
        return (int)Math.Min(1L << 30, (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)needed));
    }

    /// <summary>The slot <paramref name="hash"/> probes first (read to bring its cache line in early).</summary>
    public ulong HomeSlot(ulong hash) => Slots[(int)(hash & (ulong)(Slots.Length - 1))];

    public bool Contains(ulong hash)
    {
        var table = Slots;
        int mask = table.Length - 1;
        for (int i = (int)(hash & (ulong)mask); ; i = (i + 1) & mask)
        {
            ulong slot = table[i];
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

    /// <summary>Adds a hash the caller checked is absent, seen at <paramref name="nowMs"/>.</summary>
    public void Add(ulong hash, long nowMs)
    {
        if ((long)(Count + 1) * MaxLoadDenominator > (long)Slots.Length * MaxLoadNumerator)
        {
            Grow();
        }

        Insert(Slots, hash);
        Count++;
        if (nowMs > LastMs)
        {
            LastMs = nowMs;
        }
    }

    /// <summary>Copies the ids out, without the empty slots (what a checkpoint stores).</summary>
    public ulong[] CopyIds()
    {
        var ids = new ulong[Count];
        int n = 0;
        foreach (ulong hash in Slots)
        {
            if (hash != 0)
            {
                ids[n++] = hash;
            }
        }

        return ids;
    }

    /// <summary>A generation rebuilt from ids a checkpoint stored (distinct, non-zero).</summary>
    public static DedupGeneration Restore(ReadOnlySpan<ulong> ids, long firstMs, long lastMs)
    {
        var generation = new DedupGeneration(new ulong[SlotsFor(ids.Length)], firstMs) { LastMs = Math.Max(firstMs, lastMs) };
        foreach (ulong hash in ids)
        {
            if (hash != 0 && !generation.Contains(hash))
            {
                Insert(generation.Slots, hash);
                generation.Count++;
            }
        }

        return generation;
    }

    private static void Insert(ulong[] table, ulong hash)
    {
        int mask = table.Length - 1;
        int i = (int)(hash & (ulong)mask);
        while (table[i] != 0)
        {
            i = (i + 1) & mask;
        }

        table[i] = hash;
    }

    private void Grow()
    {
        var old = Slots;
        var grown = new ulong[old.Length * 2];
        foreach (ulong hash in old)
        {
            if (hash != 0)
            {
                Insert(grown, hash);
            }
        }

        Slots = grown;
    }
}
