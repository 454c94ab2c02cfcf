using Freshet.Learning.Factorization;
using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Parameters;
using Freshet.Testing.Parameters;

namespace Freshet.Learning.Tests.Parameters;

public sealed class ShardedParameterStoreTests : ParameterStoreContract
{
    protected override IParameterStore Create(int width) => new ShardedParameterStore(width, shards: 4);

    [Fact]
    public void Constructor_ShardCountNotAPowerOfTwo_IsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ShardedParameterStore(2, shards: 3));

        Assert.Contains("power of two", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Push_AFewKeysOfAHugeSpace_AllocatesOnlyTheirBlocks()
    {
        var store = new ShardedParameterStore(width: 2);
        store.Push([0, 1 << 28], [1, 1, 2, 2]);

        Assert.Equal(2L * ShardedParameterStore.BlockRows * 2 * sizeof(float), store.AllocatedBytes);
    }

    [Fact]
    public void FtrlModel_OnOneShardOrEight_LearnsBitIdenticalState()
    {
        var options = new FtrlOptions { Bits = 16, L1 = 0.5, L2 = 1, PriorRate = 0.05 };
        var one = new FtrlModel(options, new ShardedParameterStore(2, shards: 1));
        var eight = new FtrlModel(options, new ShardedParameterStore(2, shards: 8));
        var hasher = new FeatureHasher(options.Bits);
        var stream = new SyntheticClicks(seed: 4);
        var x = new SparseVector();
        for (int i = 0; i < 20_000; i++)
        {
            bool clicked = stream.Next(hasher, x);
            Assert.Equal(one.Learn(x, clicked), eight.Learn(x, clicked));
        }

        Assert.True(one.SameStateAs(eight));
    }

    [Fact]
    public void FtrlModel_StoreWithRowsOfAnotherWidth_IsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new FtrlModel(new FtrlOptions(), new ShardedParameterStore(width: 3)));

        Assert.Contains("two floats a coordinate", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RealtimeMf_OnOneShardOrEight_RecommendsTheSame()
    {
        var options = new MfOptions { Factors = 8 };
        var one = new RealtimeMf(options, new ShardedParameterStore(8, shards: 1), new ShardedParameterStore(9, shards: 1));
        var eight = new RealtimeMf(options, new ShardedParameterStore(8, shards: 8), new ShardedParameterStore(9, shards: 8));
        var random = new Random(8);
        for (int i = 0; i < 30_000; i++)
        {
            int user = random.Next(300), item = random.Next(3_000);
            one.Learn(user, item);
            eight.Learn(user, item);
        }

        Assert.Equal(one.Recommend(7, 10), eight.Recommend(7, 10));
        Assert.Equal(one.Similar(11, 10), eight.Similar(11, 10));
    }
}
