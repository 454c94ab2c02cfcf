namespace Freshet.Events;

/// <summary>
/// One bit per string id below a bound: the ids a checkpoint found referenced by state (see
/// <see cref="StringInterner.Free"/>). Shards mark concurrently; ids at or past the bound are ignored (they were handed
/// out after the mark began and are never candidates).
/// </summary>
public sealed class StringMarks(int bound)
{
    private readonly long[] _bits = new long[(bound + 63) / 64];

    /// <summary>Ids below this are covered.</summary>
    public int Bound { get; } = bound;

    public void Mark(int id)
    {
        if ((uint)id < (uint)Bound && (Volatile.Read(ref _bits[id >> 6]) & (1L << id)) == 0)
        {
            Interlocked.Or(ref _bits[id >> 6], 1L << id);
        }
    }

    public bool IsMarked(int id) => (uint)id < (uint)Bound && (Volatile.Read(ref _bits[id >> 6]) & (1L << id)) != 0;
}
