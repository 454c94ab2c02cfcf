using System.Numerics;
using System.Runtime.CompilerServices;

namespace Freshet.Learning.Parameters;

/// <summary>
/// The in-process <see cref="IParameterStore"/>: keys in blocks of <see cref="BlockRows"/> consecutive rows, block b in
/// shard b mod <see cref="Shards"/>, each shard a directory of flat float arrays allocated the first time a key of the
/// block is pushed. A hashed model that touches few coordinates, or a catalogue that grows item by item, holds only
/// the blocks it uses; a run of consecutive keys is one span, so a whole-catalogue scan copies nothing.
/// Each shard grows under its own lock, so trainers of different shards never wait on each other; pulls take no lock.
/// </summary>
public sealed class ShardedParameterStore : IParameterStore
{
    /// <summary>Rows in a block: 1,024 keeps a block of two-float rows at 8 KiB and of 33-float rows at 132 KiB.</summary>
    public const int BlockRows = 1 << BlockBits;

    private const int BlockBits = 10;
    private const int RowMask = BlockRows - 1;

    private readonly Shard[] _shards;
    private readonly int _shardMask;
    private readonly int _shardBits;
    private int _keyCount;

    /// <param name="width">Floats in a row.</param>
    /// <param name="shards">A power of two.</param>
    public ShardedParameterStore(int width, int shards = 4)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(shards, 1);
        if (!BitOperations.IsPow2(shards))
        {
            throw new ArgumentOutOfRangeException(nameof(shards), shards, "the shard count must be a power of two");
        }

        Width = width;
        _shards = [.. Enumerable.Range(0, shards).Select(_ => new Shard())];
        _shardMask = shards - 1;
        _shardBits = BitOperations.Log2((uint)shards);
    }

    public int Width { get; }

    public int Shards => _shards.Length;

    public int KeyCount => Volatile.Read(ref _keyCount);

    /// <summary>Bytes of the blocks allocated so far.</summary>
    public long AllocatedBytes => _shards.Sum(s => (long)s.Blocks * BlockRows * Width * sizeof(float));

    public int ShardOf(int key) => (key >> BlockBits) & _shardMask;

    public void Pull(ReadOnlySpan<int> keys, Span<float> rows)
    {
        int width = Width;
        if (rows.Length != keys.Length * width)
        {
            ThrowRowsLength(keys.Length, rows.Length);
        }

        var shards = _shards;
        int shardMask = _shardMask, shardBits = _shardBits;
        for (int i = 0, at = 0; i < keys.Length; i++, at += width)
        {
            int key = keys[i];
            int block = key >> BlockBits;
            float[]? data = shards[block & shardMask].Block(block >> shardBits);
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

        var shards = _shards;
        int shardMask = _shardMask, shardBits = _shardBits, largest = -1;
        for (int i = 0, at = 0; i < keys.Length; i++, at += width)
        {
            int key = keys[i];
            ArgumentOutOfRangeException.ThrowIfNegative(key);
            int block = key >> BlockBits;
            float[] data = shards[block & shardMask].BlockForWrite(block >> shardBits, BlockRows * width);
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
            float[]? data = _shards[block & _shardMask].Block(block >> _shardBits);
            int at = (key & RowMask) * width, count = (end - key) * width;
            visit(key, data is null ? (zeros ??= new float[BlockRows * width]).AsSpan(0, count) : data.AsSpan(at, count));
            key = end;
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

    /// <summary>One shard: its blocks, in the order of their block numbers divided by the shard count.</summary>
    private sealed class Shard
    {
        private readonly Lock _grow = new();
        private float[]?[] _directory = new float[]?[4];

        public int Blocks { get; private set; }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float[]? Block(int local)
        {
            var directory = Volatile.Read(ref _directory);
            return (uint)local < (uint)directory.Length ? directory[local] : null;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float[] BlockForWrite(int local, int floats)
        {
            var directory = _directory;
            return (uint)local < (uint)directory.Length && directory[local] is { } data ? data : Allocate(local, floats);
        }

        /// <summary>The first push to a block: out of line, so the common path above stays small enough to inline.</summary>
        [MethodImpl(MethodImplOptions.NoInlining)]
        private float[] Allocate(int local, int floats)
        {
            float[]?[] directory;
            lock (_grow)
            {
                directory = _directory;
                if (local >= directory.Length)
                {
                    // A new, larger directory is published whole: a pull beside it reads the old one or the new one.
                    var larger = new float[]?[Math.Max(local + 1, directory.Length * 2)];
                    directory.CopyTo(larger, 0);
                    Volatile.Write(ref _directory, larger);
                    directory = larger;
                }

                if (directory[local] is not { } block)
                {
                    block = new float[floats];
                    Volatile.Write(ref directory[local], block);
                    Blocks++;
                }

                return block;
            }
        }
    }
}
