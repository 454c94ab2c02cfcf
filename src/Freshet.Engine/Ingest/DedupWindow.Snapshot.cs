using System.Runtime.InteropServices;
using Freshet.Engine.Storage;

namespace Freshet.Engine.Ingest;

internal sealed partial class DedupWindow
{
    /// <summary>
    /// A copy of the window (each generation's ids and times), taken under the ingest lock and written to a checkpoint
    /// after. Only the ids are copied, not the empty slots, so it takes at most ¾ of the tables' bytes.
    /// </summary>
    public DedupSnapshot Capture() =>
        new(_generations.Select(g => new DedupSnapshot.Generation(g.FirstMs, g.LastMs, g.CopyIds())).ToArray(), ForgottenEarly);

    /// <summary>
    /// Puts back a window captured by <see cref="Capture"/> (recovery, before any event is ingested). Generations that do
    /// not fit this window's budget (it was lowered since) are forgotten oldest first and counted in
    /// <see cref="ForgottenEarly"/>; the ones a whole horizon old go at the next batch, as usual.
    /// </summary>
    public void Restore(DedupSnapshot snapshot)
    {
        _generations.Clear();
        _spare = null;
        _reservedIds = 0;
        long forgotten = snapshot.ForgottenEarly, bytes = 0, ids = 0;
        var kept = new List<DedupGeneration>();
        // Newest first, so a smaller budget keeps the ids most likely to be retried.
        for (int g = snapshot.Generations.Count - 1; g >= 0; g--)
        {
            var saved = snapshot.Generations[g];
            long needed = DedupGeneration.SlotsFor(saved.Ids.Length) * (long)DedupGeneration.BytesPerSlot;
            if (_horizonMs == 0 || kept.Count == MaxGenerations || bytes + needed > _budgetBytes)
            {
                forgotten += _horizonMs == 0 ? 0 : saved.Ids.Length;
                continue;
            }

            var generation = DedupGeneration.Restore(saved.Ids, saved.FirstMs, saved.LastMs);
            kept.Add(generation);
            bytes += generation.Bytes;
            ids += generation.Count;
        }

        kept.Reverse();
        _generations.AddRange(kept);
        Volatile.Write(ref _bytes, bytes);
        Volatile.Write(ref _ids, ids);
        Volatile.Write(ref _oldestFirstMs, kept.Count > 0 ? kept[0].FirstMs : long.MinValue);
        Interlocked.Exchange(ref _forgottenEarly, forgotten);
    }
}

/// <summary>The dedup window as it was at a checkpoint: each generation's ids (oldest generation first) and times.</summary>
internal sealed record DedupSnapshot(IReadOnlyList<DedupSnapshot.Generation> Generations, long ForgottenEarly)
{
    /// <summary>Most ids one generation may hold in a file (a table of 2³⁰ slots at ¾).</summary>
    private const int MaxIdsPerGeneration = 3 << 28;

    public static DedupSnapshot Empty { get; } = new([], 0);

    /// <summary>Writes it as the checkpoint manifest (format 2) stores it.</summary>
    public void Write(BlockFileWriter w)
    {
        w.WriteInt64(ForgottenEarly);
        w.WriteInt32(Generations.Count);
        foreach (var g in Generations)
        {
            w.WriteInt64(g.FirstMs);
            w.WriteInt64(g.LastMs);
            w.WriteInt32(g.Ids.Length);
            w.WriteBytes(MemoryMarshal.AsBytes(g.Ids.AsSpan()));
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; throws the reader's corrupt error on impossible sizes.</summary>
    public static DedupSnapshot Read(BlockFileReader r)
    {
        long forgotten = r.ReadInt64();
        int count = r.ReadInt32();
        if (count is < 0 or > 1024)
        {
            throw r.Corrupt($"a dedup window of {count} generations");
        }

        var generations = new Generation[count];
        for (int i = 0; i < count; i++)
        {
            long first = r.ReadInt64();
            long last = r.ReadInt64();
            int ids = r.ReadInt32();
            if (ids is < 0 or > MaxIdsPerGeneration)
            {
                throw r.Corrupt($"a dedup generation of {ids} ids");
            }

            var hashes = new ulong[ids];
            r.ReadExactly(MemoryMarshal.AsBytes(hashes.AsSpan()));
            generations[i] = new Generation(first, last, hashes);
        }

        return new DedupSnapshot(generations, forgotten);
    }

    /// <summary>
    /// Reads the two-generation window of manifest format 1 (tables with empty slots, one start time). The previous
    /// generation's ids all came before that start; the current one's no later than the checkpoint's clock
    /// (<paramref name="clockMs"/>), so the window expires them no earlier than the old one would have.
    /// </summary>
    public static DedupSnapshot ReadVersion1(BlockFileReader r, long clockMs)
    {
        long currentStart = r.ReadInt64();
        r.ReadInt64(); // early turns: the old window's count of shortened horizons, no longer kept.
        var current = ReadTable(r);
        var previous = ReadTable(r);
        long currentLast = Math.Max(currentStart, clockMs);
        return new DedupSnapshot(
            [new Generation(currentStart, currentStart, previous), new Generation(currentStart, currentLast, current)], 0);
    }

    private static ulong[] ReadTable(BlockFileReader r)
    {
        int length = r.ReadInt32();
        int count = r.ReadInt32();
        if (length is < 0 or > 1 << 28 || count < 0 || count > length)
        {
            throw r.Corrupt($"a dedup table of {length} slots holding {count} ids");
        }

        var slots = new ulong[length];
        r.ReadExactly(MemoryMarshal.AsBytes(slots.AsSpan()));
        return slots.Where(h => h != 0).ToArray();
    }

    /// <summary>One generation: when it opened, its newest id's time, and its ids.</summary>
    public sealed record Generation(long FirstMs, long LastMs, ulong[] Ids);
}
