namespace Freshet.Server.Ingest;

/// <summary>
/// The bytes of request-body buffers that ingest requests may hold at once, summed over every request being read,
/// waiting for an ingest permit or being parsed. Bodies are read before a permit is taken (so a slow upload never holds
/// one), which means the permits no longer bound the memory of bodies in flight: this does. A reader reserves each
/// buffer it rents, at its real (pooled, rounded-up) size, and releases it when the buffer goes back to the pool.
/// </summary>
internal sealed class BodyBudget(long limitBytes)
{
    private long _usedBytes;
    private int _reading;

    /// <summary>The most bytes that may be reserved at once.</summary>
    public long LimitBytes { get; } = limitBytes;

    /// <summary>Bytes reserved now.</summary>
    public long UsedBytes => Interlocked.Read(ref _usedBytes);

    /// <summary>Bodies being received now (for <c>/v1/stats</c>).</summary>
    public int Reading => Volatile.Read(ref _reading);

    /// <summary>The smallest budget that still lets one body of <paramref name="maxBodyBytes"/> through on its own.</summary>
    public static long MinimumFor(long maxBodyBytes)
    {
        // The largest buffer a body needs is the pool's bucket for maxBodyBytes + 1 (a power of two), and while the
        // buffer grows the old half is held beside it.
        long largest = (long)System.Numerics.BitOperations.RoundUpToPowerOf2((ulong)Math.Min(maxBodyBytes + 1, int.MaxValue));
        return largest + (largest / 2);
    }

    public bool TryReserve(long bytes)
    {
        long after = Interlocked.Add(ref _usedBytes, bytes);
        if (after <= LimitBytes)
        {
            return true;
        }

        Interlocked.Add(ref _usedBytes, -bytes);
        return false;
    }

    public void Release(long bytes) => Interlocked.Add(ref _usedBytes, -bytes);

    public void BeginRead() => Interlocked.Increment(ref _reading);

    public void EndRead() => Interlocked.Decrement(ref _reading);
}
