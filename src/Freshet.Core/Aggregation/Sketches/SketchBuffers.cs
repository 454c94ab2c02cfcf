using System.Numerics;

namespace Freshet.Aggregation.Sketches;

/// <summary>
/// Buffers for the HyperLogLog sketches of one aggregator (one shard, single-threaded): sparse lists by power-of-two
/// length and 16 KiB register arrays, handed back when a sketch grows past a buffer or is cleared and handed out
/// again to the next. Tiles open and expire all the time, so once warm the sketches of a shard allocate nothing.
/// Bounded: past <see cref="MaxPooledBytes"/> a returned buffer is left to the collector.
/// </summary>
public sealed class SketchBuffers
{
    /// <summary>Most bytes kept for reuse (per aggregator, so per feature and shard).</summary>
    public const long MaxPooledBytes = 256L << 20;

    private const int Classes = 24;

    private readonly Stack<uint[]>[] _lists = new Stack<uint[]>[Classes];
    private readonly Stack<byte[]> _registers = new();
    private long _pooledBytes;

    public SketchBuffers()
    {
        for (int i = 0; i < Classes; i++)
        {
            _lists[i] = new Stack<uint[]>();
        }
    }

    /// <summary>Bytes held for reuse now.</summary>
    public long PooledBytes => _pooledBytes;

    /// <summary>A list buffer of exactly <paramref name="length"/> entries (a power of two); its contents are undefined.</summary>
    public uint[] RentList(int length)
    {
        int size = Class(length);
        if (_lists[size].TryPop(out var list))
        {
            _pooledBytes -= (long)list.Length * sizeof(uint);
            return list;
        }

        return new uint[length];
    }

    /// <summary>Takes back a list buffer (ignored when it is empty or not a power-of-two length, or the pool is full).</summary>
    public void Return(uint[] list)
    {
        if (list.Length == 0 || !BitOperations.IsPow2(list.Length) || _pooledBytes + ((long)list.Length * sizeof(uint)) > MaxPooledBytes)
        {
            return;
        }

        _lists[Class(list.Length)].Push(list);
        _pooledBytes += (long)list.Length * sizeof(uint);
    }

    /// <summary>A zeroed register array of <see cref="HyperLogLog.RegisterCount"/> bytes.</summary>
    public byte[] RentRegisters()
    {
        if (_registers.TryPop(out var registers))
        {
            _pooledBytes -= registers.Length;
            Array.Clear(registers);
            return registers;
        }

        return new byte[HyperLogLog.RegisterCount];
    }

    public void Return(byte[] registers)
    {
        if (_pooledBytes + registers.Length <= MaxPooledBytes)
        {
            _registers.Push(registers);
            _pooledBytes += registers.Length;
        }
    }

    private static int Class(int length) => BitOperations.Log2((uint)length);
}
