using System.Buffers;
using Freshet.Aggregation.Sketches;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>
/// Sparse/dense equivalence, the merge laws, serialization and reuse, across both switches: exact → sparse at
/// <see cref="HyperLogLog.ExactHashesMax"/> distinct hashes and sparse → dense at 2048 registers.
/// </summary>
public sealed class HyperLogLogTests
{
    private const int T = HyperLogLog.ExactHashesMax;

    // Sizes on both sides of each switch, from empty and well past them.
    public static TheoryData<int> Sizes => new() { 0, 1, 5, 64, T - 1, T, T + 1, T + 2, 200, 500, 2000, 2048, 2100, 2400, 3000, 20_000 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Estimate_SketchAndDenseOfSameSet_ExactUpToTThenIdentical(int count)
    {
        var hashes = RandomHashes(new Random(count + 1), count);
        var sketch = new HyperLogLog();
        var dense = new HyperLogLog();
        dense.ConvertToDense();
        foreach (ulong hash in hashes)
        {
            sketch.Add(hash);
            dense.Add(hash);
        }

        Assert.False(dense.IsSparse);
        Assert.False(dense.IsExact);
        Assert.Equal(count <= T, sketch.IsExact);

        // 2048 values fill at most 2048 registers, so the sketch must still be sparse; 2400 random values fill ~2230.
        if (count > T && count <= HyperLogLog.SparseEntriesMax)
        {
            Assert.True(sketch.IsSparse);
        }
        else if (count >= 2400)
        {
            Assert.False(sketch.IsSparse);
        }

        // Exact counts up to T; past it both register forms give the same estimate bit for bit.
        Assert.Equal(count <= T ? count : dense.Estimate(), sketch.Estimate());
        Assert.True(sketch.RegistersEqual(dense));
        Assert.True(dense.RegistersEqual(sketch));
        Assert.Equal(count > T, sketch.SameContents(dense));
    }

    [Fact]
    public void Add_RepeatedHashes_StaysSmallAndCountsOnce()
    {
        var random = new Random(3);
        var hashes = RandomHashes(random, 40);
        var sketch = new HyperLogLog();
        for (int i = 0; i < 10_000; i++)
        {
            sketch.Add(hashes[random.Next(hashes.Length)]);
        }

        // Exact: 8 bytes a hash, at most doubled by growth, plus the object.
        Assert.True(sketch.IsExact);
        Assert.True(sketch.ByteSize <= 64 + 24 + (2 * 40 * sizeof(ulong)), $"40 distinct values took {sketch.ByteSize} bytes");
        Assert.Equal(40, sketch.Estimate());
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Merge_OfRandomSplits_EqualsSketchOfWhole(int count)
    {
        var random = new Random(count + 7);
        var hashes = RandomHashes(random, count);
        var whole = new HyperLogLog();
        var parts = new[] { new HyperLogLog(), new HyperLogLog(), new HyperLogLog(), new HyperLogLog() };
        foreach (ulong hash in hashes)
        {
            whole.Add(hash);

            // Some values land in two parts, as the same user shows up in neighbouring tiles.
            parts[random.Next(4)].Add(hash);
            if (random.Next(4) == 0)
            {
                parts[random.Next(4)].Add(hash);
            }
        }

        var merged = new HyperLogLog();
        foreach (var part in parts)
        {
            merged.Merge(part);
        }

        // The tier depends on the set only: exact with the same hashes, or the same registers.
        Assert.Equal(count <= T, merged.IsExact);
        Assert.True(merged.SameContents(whole));
        Assert.Equal(whole.Estimate(), merged.Estimate());
    }

    [Theory]
    [InlineData(10, 20)]
    [InlineData(60, 60)]
    [InlineData(T, 1)]
    [InlineData(100, 100)]
    [InlineData(1500, 1500)]
    [InlineData(100, 5000)]
    [InlineData(5000, 100)]
    [InlineData(4000, 6000)]
    public void Merge_TwoSketches_Commutative(int countA, int countB)
    {
        var random = new Random(countA + countB);
        var a = SketchOf(RandomHashes(random, countA));
        var b = SketchOf(RandomHashes(random, countB));

        var ab = Copy(a);
        ab.Merge(b);
        var ba = Copy(b);
        ba.Merge(a);

        Assert.True(ab.SameContents(ba));
        Assert.Equal(ab.Estimate(), ba.Estimate());
    }

    [Theory]
    [InlineData(10, 20, 30)]
    [InlineData(40, 40, 40)]
    [InlineData(T, 1, 1)]
    [InlineData(1000, 1000, 1000)]
    [InlineData(3000, 50, 700)]
    [InlineData(50, 3000, 5)]
    public void Merge_ThreeSketches_Associative(int countA, int countB, int countC)
    {
        var random = new Random(countA * countB + countC);
        var a = SketchOf(RandomHashes(random, countA));
        var b = SketchOf(RandomHashes(random, countB));
        var c = SketchOf(RandomHashes(random, countC));

        var left = Copy(a);
        left.Merge(b);
        left.Merge(c);
        var bc = Copy(b);
        bc.Merge(c);
        var right = Copy(a);
        right.Merge(bc);

        Assert.True(left.SameContents(right));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(1000)]
    public void Merge_WithItself_Unchanged(int count)
    {
        var sketch = SketchOf(RandomHashes(new Random(5), count));
        var before = Copy(sketch);
        sketch.Merge(sketch);
        Assert.True(sketch.SameContents(before));
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void WriteTo_ThenReadFrom_RoundTripsRegistersAndForm(int count)
    {
        var sketch = SketchOf(RandomHashes(new Random(count + 11), count));
        var buffer = new ArrayBufferWriter<byte>();
        sketch.WriteTo(buffer);
        buffer.Write<byte>([0xEE, 0xEE]); // trailing bytes must be left alone

        var read = new HyperLogLog();
        read.Add(12345); // ReadFrom replaces whatever was there
        int consumed = HyperLogLog.ReadFrom(buffer.WrittenSpan, read);

        Assert.Equal(buffer.WrittenCount - 2, consumed);
        Assert.Equal(sketch.IsExact, read.IsExact);
        Assert.Equal(sketch.IsSparse, read.IsSparse);
        Assert.True(read.SameContents(sketch));
        Assert.Equal(sketch.Estimate(), read.Estimate());

        // The form is canonical: writing what was read gives the same bytes.
        var again = new ArrayBufferWriter<byte>();
        read.WriteTo(again);
        Assert.True(buffer.WrittenSpan[..consumed].SequenceEqual(again.WrittenSpan));
    }

    [Theory]
    [InlineData(10, 3 + 1 + (10 * 8))]
    [InlineData(T, 3 + 2 + (T * 8))]
    [InlineData(500, 3 + 2 + (500 * 3))]
    public void WriteTo_ExactAndSparse_FewBytesPerValue(int count, int bytesMax)
    {
        var sketch = SketchOf(RandomHashes(new Random(13), count));
        var buffer = new ArrayBufferWriter<byte>();
        sketch.WriteTo(buffer);
        Assert.True(buffer.WrittenCount <= bytesMax, $"{count} values took {buffer.WrittenCount} bytes, expected ≤ {bytesMax}");
    }

    [Fact]
    public void ReadFrom_UnknownVersion_Throws()
    {
        var read = new HyperLogLog();
        Assert.Throws<InvalidDataException>(() => HyperLogLog.ReadFrom([9, 14, 0, 0], read));
    }

    [Fact]
    public void ReadFrom_EntriesOutOfOrder_Throws()
    {
        // Sparse, two entries: register 1 rank 1 (delta 65), then a zero delta repeats it.
        var read = new HyperLogLog();
        Assert.Throws<InvalidDataException>(() => HyperLogLog.ReadFrom([1, 14, 0, 2, 65, 0], read));
    }

    [Fact]
    public void Clear_AfterDense_ReusableAsFresh()
    {
        var random = new Random(17);
        var sketch = SketchOf(RandomHashes(random, 10_000));
        Assert.False(sketch.IsSparse);

        sketch.Clear();
        Assert.True(sketch.IsExact);
        Assert.True(sketch.IsEmpty);
        Assert.Equal(0, sketch.Estimate());
        Assert.True(sketch.ByteSize < 2048, $"a cleared sketch holds {sketch.ByteSize} bytes");

        var next = RandomHashes(random, 3000);
        foreach (ulong hash in next)
        {
            sketch.Add(hash);
        }

        Assert.True(sketch.SameContents(SketchOf(next)));
    }

    [Fact]
    public void Add_SteadyState_AllocatesNothing()
    {
        var hashes = RandomHashes(new Random(19), 50_000);
        var dense = SketchOf(hashes);

        // 200 values grow the sparse array to 256 entries; 50 more new ones and repeats must fit without growing.
        var sparse = SketchOf(hashes.AsSpan(0, 200));
        sparse.Add(hashes[0]);
        dense.Add(hashes[0]);

        // One pass first, so buffers reach their working size (and the JIT has tiered up); the second pass is the steady state.
        for (int pass = 0; pass < 2; pass++)
        {
            AddAll(dense, sparse, hashes);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        AddAll(dense, sparse, hashes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sparse.IsSparse);
        Assert.Equal(0, allocated);
    }

    private static void AddAll(HyperLogLog dense, HyperLogLog sparse, ulong[] hashes)
    {
        for (int i = 0; i < hashes.Length; i++)
        {
            dense.Add(hashes[i]);
            sparse.Add(hashes[i % 250]);
        }
    }

    internal static ulong[] RandomHashes(Random random, int count)
    {
        var hashes = new ulong[count];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(hashes.AsSpan()));
        return hashes;
    }

    internal static HyperLogLog SketchOf(ReadOnlySpan<ulong> hashes)
    {
        var sketch = new HyperLogLog();
        foreach (ulong hash in hashes)
        {
            sketch.Add(hash);
        }

        return sketch;
    }

    internal static HyperLogLog Copy(HyperLogLog sketch)
    {
        var copy = new HyperLogLog();
        copy.Merge(sketch);
        return copy;
    }

    [Fact]
    public void PooledSketches_ReusedThroughEveryTier_EstimateAsFreshOnesAndRecycleTheirBuffers()
    {
        var buffers = new SketchBuffers();
        var pooled = new[] { new HyperLogLog(buffers), new HyperLogLog(buffers) };
        var random = new Random(5);
        for (int round = 0; round < 6; round++)
        {
            // Sizes that end in each tier: exact, sparse, dense; a reused sketch must carry nothing over.
            int n = round % 3 == 0 ? 50 : round % 3 == 1 ? 1_500 : 40_000;
            var fresh = new HyperLogLog();
            var sketch = pooled[round % 2];
            for (int i = 0; i < n; i++)
            {
                ulong hash = (ulong)random.NextInt64();
                sketch.Add(hash);
                fresh.Add(hash);
            }

            var merged = new HyperLogLog(buffers);
            merged.Merge(sketch);
            Assert.Equal(fresh.Estimate(), sketch.Estimate());
            Assert.Equal(fresh.Estimate(), merged.Estimate());
            sketch.Clear();
            merged.Clear();
            Assert.Equal(0, sketch.Estimate());
        }

        Assert.True(buffers.PooledBytes > 0, "cleared sketches give their buffers back");
    }
}
