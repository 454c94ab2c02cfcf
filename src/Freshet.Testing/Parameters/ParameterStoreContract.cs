using Freshet.Learning.Parameters;

namespace Freshet.Testing.Parameters;

/// <summary>
/// What every <see cref="IParameterStore"/> must do, whatever holds the rows: the in-process store passes it here,
/// and a store in Redis (the scale-out issue) will derive from it too.
/// </summary>
public abstract class ParameterStoreContract
{
    protected abstract IParameterStore Create(int width);

    [Fact]
    public void Pull_KeysNeverPushed_ReadAsZeros()
    {
        var store = Create(width: 3);
        var rows = new float[6];
        Array.Fill(rows, 7f);

        store.Pull([5, 1_000_000], rows);

        Assert.All(rows, f => Assert.Equal(0f, f));
        Assert.Equal(0, store.KeyCount);
    }

    [Fact]
    public void Push_ThenPull_ReturnsTheRowsInTheOrderOfTheKeys()
    {
        var store = Create(width: 2);
        store.Push([9, 4_000, 2], [1, 2, 3, 4, 5, 6]);

        var rows = new float[8];
        store.Pull([2, 9, 4_000, 3], rows);

        Assert.Equal([5, 6, 1, 2, 3, 4, 0, 0], rows);
        Assert.Equal(4_001, store.KeyCount);
    }

    [Fact]
    public void Push_SameKeyTwice_TheLaterRowWins()
    {
        var store = Create(width: 1);
        store.Push([3], [1]);
        store.Push([3, 3], [2, 5]);

        var row = new float[1];
        store.Pull([3], row);

        Assert.Equal(5f, row[0]);
    }

    [Fact]
    public void PullAndPush_RowsOfTheWrongLength_AreRefusedNamingBoth()
    {
        var store = Create(width: 4);

        var pull = Assert.Throws<ArgumentException>(() => store.Pull([1, 2], new float[7]));
        var push = Assert.Throws<ArgumentException>(() => store.Push([1], new float[3]));

        Assert.Contains("2 keys need 2 rows", pull.Message, StringComparison.Ordinal);
        Assert.Contains("1 keys need 1 rows", push.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scan_ARangeAcrossBlocksAndShards_HandsOutEveryRowOnceInKeyOrderAsPullWould()
    {
        var store = Create(width: 2);
        var random = new Random(3);
        int[] keys = [.. Enumerable.Range(0, 300).Select(_ => random.Next(10_000)).Distinct()];
        store.Push(keys, [.. keys.SelectMany(k => new[] { k, -k })]);

        var scanned = new List<float>();
        int next = 37;
        store.Scan(37, 9_500, (first, rows) =>
        {
            Assert.Equal(next, first);
            Assert.Equal(0, rows.Length % 2);
            next += rows.Length / 2;
            scanned.AddRange(rows.ToArray());
        });

        var pulled = new float[2 * (9_500 - 37)];
        store.Pull([.. Enumerable.Range(37, 9_500 - 37)], pulled);
        Assert.Equal(9_500, next);
        Assert.Equal(pulled, scanned);
        int inside = keys.First(k => k is > 37 and < 9_500);
        Assert.Equal((float)inside, scanned[2 * (inside - 37)]);
    }

    [Fact]
    public void ShardOf_EveryKey_IsOneOfTheShards()
    {
        var store = Create(width: 1);

        var shards = Enumerable.Range(0, 100_000).Select(store.ShardOf).Distinct().ToList();

        Assert.All(shards, s => Assert.InRange(s, 0, store.Shards - 1));
        Assert.Equal(store.Shards, shards.Count);
    }

    [Fact]
    public async Task Push_TrainersOfDifferentShardsAtOnce_LoseNoRow()
    {
        var store = Create(width: 2);
        const int keys = 200_000;
        var trainers = Enumerable.Range(0, store.Shards).Select(shard => Task.Run(() =>
        {
            for (int key = 0; key < keys; key++)
            {
                if (store.ShardOf(key) == shard)
                {
                    store.Push([key], [key, shard]);
                }
            }
        }));
        await Task.WhenAll(trainers);

        var rows = new float[2 * keys];
        store.Pull([.. Enumerable.Range(0, keys)], rows);
        for (int key = 0; key < keys; key++)
        {
            Assert.Equal((float)key, rows[2 * key]);
            Assert.Equal((float)store.ShardOf(key), rows[(2 * key) + 1]);
        }

        Assert.Equal(keys, store.KeyCount);
    }
}
