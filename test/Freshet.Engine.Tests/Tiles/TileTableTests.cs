using Freshet.Engine.Tiles;

namespace Freshet.Engine.Tests.Tiles;

public sealed class TileTableTests
{
    [Fact]
    public void AddFindRemove_RandomOperations_MatchADictionary()
    {
        var random = new Random(7);
        var table = new TileTable(width: 2);
        var truth = new Dictionary<long, long>();
        for (int step = 0; step < 200_000; step++)
        {
            long key = TileTable.MakeKey(1 + random.Next(3_000), random.Next(3), random.Next(50));
            if (random.Next(3) == 0)
            {
                Assert.Equal(truth.Remove(key), table.Remove(key));
            }
            else
            {
                int offset = table.FindOrAdd(key, out bool added);
                Assert.Equal(!truth.ContainsKey(key), added);
                table.State(offset)[0] = truth[key] = step;
            }

            if (step % 997 == 0)
            {
                foreach (var (k, v) in truth)
                {
                    int offset = table.Find(k);
                    Assert.True(offset >= 0, $"key {k:x} lost after {step} steps");
                    Assert.Equal(v, table.State(offset)[0]);
                }
            }
        }

        Assert.Equal(truth.Count, table.Count);
    }

    [Fact]
    public void BucketOf_WrappedIds_RecoverTheFullBucket()
    {
        long current = (5L << TileTable.BucketBits) + 1_000;
        foreach (long bucket in new[] { current, current - 1, current - 1_001, current - 100_000, current + 3 })
        {
            Assert.Equal(bucket, TileTable.BucketOf(TileTable.MakeKey(42, 1, bucket), current));
        }
    }

    [Fact]
    public void Bytes_PerCountTile_StayUnder48()
    {
        var table = new TileTable(width: 1);
        for (int i = 1; i <= 1_000_000; i++)
        {
            table.FindOrAdd(TileTable.MakeKey(i, 0, 12345), out _);
        }

        double perTile = (double)table.Bytes / table.Count;
        Assert.True(perTile <= 48, $"{perTile:F1} bytes per count tile");
    }
}
