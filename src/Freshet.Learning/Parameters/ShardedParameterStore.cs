using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Learning.Parameters;

/// <summary>
/// The in-process <see cref="IParameterStore"/>: keys in blocks of <see cref="BlockRows"/> consecutive rows, block b
/// belonging to shard b mod <see cref="Shards"/>, each block a flat float array allocated the first time a key of it is
/// pushed. A hashed model that touches few coordinates, or a catalogue that grows item by item, holds only the blocks
/// it uses; a run of consecutive keys is one span, so a whole-catalogue scan copies nothing. One directory indexed by
/// block number finds a row in two loads (a per-shard directory cost two more on every coordinate of every example);
/// blocks are allocated under one lock, once per 1,024 keys, and pulls and pushes take none.
/// </summary>
public sealed class ShardedParameterStore : IParameterStore
{
    /// <summary>Rows in a block: 1,024 keeps a block of two-float rows at 8 KiB and of 33-float rows at 132 KiB.</summary>
    public const int BlockRows = 1 << BlockBits;

    private const int BlockBits = 10;
    private const int RowMask = BlockRows - 1;

    private readonly Lock _allocate = new();
    private readonly long[] _blocksPerShard;
    private readonly int _shardMask;
    private float[]?[] _blocks;
    private int _keyCount;

    /// <param name="width">Floats in a row.</param>
    /// <param name="shards">A power of two.</param>
    /// <param name="keyCapacity">Keys expected (2^bits for a hashed model): sizes the directory so it never grows; it grows past it as needed.</param>
    public ShardedParameterStore(int width, int shards = 4, int keyCapacity = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(keyCapacity);
        if (!BitOperations.IsPow2(shards))
        {
            throw new ArgumentOutOfRangeException(nameof(shards), shards, "the shard count must be a power of two");
        }

        Width = width;
        _blocksPerShard = new long[shards];
        _shardMask = shards - 1;
        _blocks = new float[]?[Math.Max(4, (int)(((long)keyCapacity + RowMask) >> BlockBits))];
    }

    public int Width { get; }

    public int Shards => _blocksPerShard.Length;

    public int KeyCount => Volatile.Read(ref _keyCount);

    /// <summary>Bytes of the blocks allocated so far.</summary>
    public long AllocatedBytes
    {
        get
        {
            lock (_allocate)
            {
                return _blocksPerShard.Sum() * BlockRows * Width * sizeof(float);
            }
        }
    }

    public int ShardOf(int key) => (key >> BlockBits) & _shardMask;

    public void Pull(ReadOnlySpan<int> keys, Span<float> rows)
    {
        int width = Width;
        if (rows.Length != keys.Length * width)
        {
            ThrowRowsLength(keys.Length, rows.Length);
        }

        var blocks = Volatile.Read(ref _blocks);
        for (int i = 0, at = 0; i < keys.Length; i++, at += width)
        {
            int key = keys[i];
            uint block = (uint)key >> BlockBits;
            float[]? data = block < (uint)blocks.Length ? blocks[block] : null;
            int from = (key & RowMask) * width;
            if (data is null)
            {
                rows.Slice(at, width).Clear();
            }
            else if (width <= 4)
            {
                // Short rows (FTRL's z and √n) are copied by hand: a call to memmove costs more than the two floats.
                for (int f = 0; f < width; f++)
                {
                    rows[at + f] = data[from + f];
                }
            }
            else
            {
                data.AsSpan(from, width).CopyTo(rows.Slice(at, width));
            }
        }
    }

    public void Push(ReadOnlySpan<int> keys, ReadOnlySpan<float> rows)
    {
        int width = Width;
        if (rows.Length != keys.Length * width)
        {
            ThrowRowsLength(keys.Length, rows.Length);
        }

        var blocks = Volatile.Read(ref _blocks);
        int largest = -1;
        for (int i = 0, at = 0; i < keys.Length; i++, at += width)
        {
            int key = keys[i];
            ArgumentOutOfRangeException.ThrowIfNegative(key);
            int block = key >> BlockBits;
            float[] data = (uint)block < (uint)blocks.Length && blocks[block] is { } existing ? existing : Allocate(block);
            int to = (key & RowMask) * width;
            if (width <= 4)
            {
                for (int f = 0; f < width; f++)
                {
                    data[to + f] = rows[at + f];
                }
            }
            else
            {
                rows.Slice(at, width).CopyTo(data.AsSpan(to, width));
            }

            largest = Math.Max(largest, key);
        }

        if (largest >= _keyCount)
        {
            RaiseKeyCount(largest);
        }
    }

    public void Scan(int from, int to, RowRunVisitor visit)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(from);
        ArgumentOutOfRangeException.ThrowIfLessThan(to, from);
        float[]? zeros = null;
        int width = Width;
        for (int key = from; key < to;)
        {
            int block = key >> BlockBits;
            int end = Math.Min(to, (block + 1) << BlockBits);
            var blocks = Volatile.Read(ref _blocks);
            float[]? data = block < blocks.Length ? blocks[block] : null;
            int at = (key & RowMask) * width, count = (end - key) * width;
            visit(key, data is null ? (zeros ??= new float[BlockRows * width]).AsSpan(0, count) : data.AsSpan(at, count));
            key = end;
        }
    }

    /// <summary>The first push to a block: out of line, so the loop above stays small.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private float[] Allocate(int block)
    {
        lock (_allocate)
        {
            var blocks = _blocks;
            if (block >= blocks.Length)
            {
                // A new, larger directory is published whole: a pull beside it reads the old one or the new one, and
                // only this lock writes either.
                var larger = new float[]?[Math.Max(block + 1, blocks.Length * 2)];
                blocks.CopyTo(larger, 0);
                Volatile.Write(ref _blocks, larger);
                blocks = larger;
            }

            if (blocks[block] is not { } data)
            {
                data = new float[BlockRows * Width];
                Volatile.Write(ref blocks[block], data);
                _blocksPerShard[block & _shardMask]++;
            }

            return data;
        }
    }

    /// <summary>Trainers of different shards may both raise the count: the larger wins.</summary>
    private void RaiseKeyCount(int key)
    {
        int seen = Volatile.Read(ref _keyCount);
        while (key >= seen)
        {
            int was = Interlocked.CompareExchange(ref _keyCount, key + 1, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }

    private static void ThrowRowsLength(int keys, int rows) =>
        throw new ArgumentException($"{keys} keys need {keys} rows, but {rows} floats were given for them");
}
