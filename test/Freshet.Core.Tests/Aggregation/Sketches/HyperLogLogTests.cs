using System.Buffers;
using Freshet.Aggregation.Sketches;

namespace Freshet.Tests.Aggregation.Sketches;

/// <summary>Sparse/dense equivalence, the merge laws, serialization and reuse, across the sparse → dense switch.</summary>
public sealed class HyperLogLogTests
{
    // Sizes on both sides of the switch (2048 registers), from empty and well past it.
    public static TheoryData<int> Sizes => new() { 0, 1, 5, 63, 64, 65, 500, 2000, 2048, 2100, 2400, 3000, 20_000 };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Estimate_SparseAndDenseOfSameSet_Identical(int count)
    {
        var hashes = RandomHashes(new Random(count + 1), count);
        var sparse = new HyperLogLog();
        var dense = new HyperLogLog();
        dense.ConvertToDense();
        foreach (ulong hash in hashes)
        {
            sparse.Add(hash);
            dense.Add(hash);
        }

        Assert.False(dense.IsSparse);

        // 2048 values fill at most 2048 registers, so the sketch must still be sparse; 2400 random values fill ~2230.
        if (count <= HyperLogLog.SparseEntriesMax)
        {
            Assert.True(sparse.IsSparse);
        }
        else if (count >= 2400)
        {
            Assert.False(sparse.IsSparse);
        }

        Assert.Equal(dense.Estimate(), sparse.Estimate());
        Assert.True(sparse.RegistersEqual(dense));
        Assert.True(dense.RegistersEqual(sparse));
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

        Assert.True(sketch.IsSparse);
        Assert.True(sketch.ByteSize < 512, $"40 distinct values took {sketch.ByteSize} bytes");
        Assert.Equal(40, Math.Round(sketch.Estimate()));
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

        Assert.True(merged.RegistersEqual(whole));
        Assert.Equal(whole.Estimate(), merged.Estimate());
    }

    [Theory]
    [InlineData(10, 20)]
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

        Assert.True(ab.RegistersEqual(ba));
    }

    [Theory]
    [InlineData(10, 20, 30)]
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

        Assert.True(left.RegistersEqual(right));
    }

    [Fact]
    public void Merge_WithItself_Unchanged()
    {
        var sketch = SketchOf(RandomHashes(new Random(5), 100));
        var before = Copy(sketch);
        sketch.Merge(sketch);
        Assert.True(sketch.RegistersEqual(before));
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
        Assert.Equal(sketch.IsSparse, read.IsSparse);
        Assert.True(read.RegistersEqual(sketch));
        Assert.Equal(sketch.Estimate(), read.Estimate());
    }

    [Fact]
    public void WriteTo_SmallSparse_FewBytesPerValue()
    {
        var sketch = SketchOf(RandomHashes(new Random(13), 10));
        var buffer = new ArrayBufferWriter<byte>();
        sketch.WriteTo(buffer);
        Assert.True(buffer.WrittenCount <= 3 + 1 + (10 * 3), $"10 values took {buffer.WrittenCount} bytes");
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
        Assert.True(sketch.IsSparse);
        Assert.True(sketch.IsEmpty);
        Assert.Equal(0, sketch.Estimate());
        Assert.True(sketch.ByteSize < 2048, $"a cleared sketch holds {sketch.ByteSize} bytes");

        var next = RandomHashes(random, 3000);
        foreach (ulong hash in next)
        {
            sketch.Add(hash);
        }

        Assert.True(sketch.RegistersEqual(SketchOf(next)));
    }

    [Fact]
    public void Add_SteadyState_AllocatesNothing()
    {
        var hashes = RandomHashes(new Random(19), 50_000);
        var dense = SketchOf(hashes);

        // 200 values grow the sparse array to 256 entries; 50 more new ones and repeats must fit without growing.
        var sparse = SketchOf(hashes.AsSpan(0, 200).ToArray());
        sparse.Add(hashes[0]);
        dense.Add(hashes[0]);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < hashes.Length; i++)
        {
            dense.Add(hashes[i]);
            sparse.Add(hashes[i % 250]);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sparse.IsSparse);
        Assert.Equal(0, allocated);
    }

    internal static ulong[] RandomHashes(Random random, int count)
    {
        var hashes = new ulong[count];
        random.NextBytes(System.Runtime.InteropServices.MemoryMarshal.AsBytes(hashes.AsSpan()));
        return hashes;
    }

    private static HyperLogLog SketchOf(ulong[] hashes)
    {
        var sketch = new HyperLogLog();
        foreach (ulong hash in hashes)
        {
            sketch.Add(hash);
        }

        return sketch;
    }

    private static HyperLogLog Copy(HyperLogLog sketch)
    {
        var copy = new HyperLogLog();
        copy.Merge(sketch);
        return copy;
    }
}
