using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Metrics;
using Freshet.Learning.Parameters;

namespace Freshet.Learning.Tests;

public sealed class FtrlModelTests
{
    private static readonly FtrlOptions Options = new() { Alpha = 0.1, Beta = 1, L1 = 0.5, L2 = 1, Bits = 18 };

    [Fact]
    public void Learn_SyntheticClicks_BeatsTheConstantRateInProgressiveValidation()
    {
        var model = FtrlModel.Create(Options, InProcessParameterStores.Default, "test");
        var baseline = new RunningRate();
        var hasher = new FeatureHasher(Options.Bits);
        var stream = new SyntheticClicks(seed: 1);
        var x = new SparseVector();
        var modelQuality = new ProgressiveValidation();
        var baselineQuality = new ProgressiveValidation();
        for (int i = 0; i < 200_000; i++)
        {
            bool clicked = stream.Next(hasher, x);
            modelQuality.Add(model.Learn(x, clicked), clicked);
            baselineQuality.Add(baseline.Learn(clicked), clicked);
        }

        Assert.InRange(baselineQuality.NormalizedEntropy, 0.999, 1.01);
        Assert.InRange(baselineQuality.Auc, 0.45, 0.55);
        Assert.True(modelQuality.NormalizedEntropy < 0.95, $"model: {modelQuality}; baseline: {baselineQuality}");
        Assert.True(modelQuality.Auc > 0.70, $"model: {modelQuality}");
        Assert.True(modelQuality.LogLoss < baselineQuality.LogLoss, $"model: {modelQuality}; baseline: {baselineQuality}");
        Assert.InRange(modelQuality.Calibration, 0.9, 1.1);
    }

    [Fact]
    public void Learn_StrongL1_KeepsMostWeightsAtExactlyZero()
    {
        var loose = Train(Options with { L1 = 0 }, 50_000);
        var sparse = Train(Options with { L1 = 5 }, 50_000);

        Assert.True(sparse.NonZeroWeights() < loose.NonZeroWeights() / 2,
            $"L1 = 5 kept {sparse.NonZeroWeights()} weights, L1 = 0 kept {loose.NonZeroWeights()}");
    }

    [Fact]
    public void Learn_SameStream_GivesBitIdenticalModels()
    {
        var a = Train(Options, 20_000);
        var b = Train(Options, 20_000);

        Assert.True(a.SameStateAs(b));
    }

    [Fact]
    public void SaveAndLoad_MidStream_ContinuesExactlyLikeAnUninterruptedModel()
    {
        var hasher = new FeatureHasher(Options.Bits);
        var x = new SparseVector();
        var uninterrupted = FtrlModel.Create(Options, InProcessParameterStores.Default, "test");
        var stream = new SyntheticClicks(seed: 3);
        for (int i = 0; i < 30_000; i++)
        {
            uninterrupted.Learn(x, stream.Next(hasher, x));
        }

        var first = FtrlModel.Create(Options, InProcessParameterStores.Default, "test");
        var replay = new SyntheticClicks(seed: 3);
        for (int i = 0; i < 12_345; i++)
        {
            first.Learn(x, replay.Next(hasher, x));
        }

        using var file = new MemoryStream();
        first.Save(file);
        file.Position = 0;
        var restarted = FtrlModel.Load(file, InProcessParameterStores.Default, "test");
        for (int i = 12_345; i < 30_000; i++)
        {
            restarted.Learn(x, replay.Next(hasher, x));
        }

        Assert.Equal(30_000, restarted.Examples);
        Assert.True(restarted.SameStateAs(uninterrupted));
    }

    [Fact]
    public void Load_DamagedOrForeignFile_IsRefusedWithTheReason()
    {
        var model = Train(Options with { Bits = 8 }, 1_000);
        using var file = new MemoryStream();
        model.Save(file);
        var bytes = file.ToArray();
        bytes[100] ^= 0x10;

        var damaged = Assert.Throws<InvalidDataException>(() => FtrlModel.Load(new MemoryStream(bytes), InProcessParameterStores.Default, "test"));
        Assert.Contains("checksum", damaged.Message);
        var foreign = Assert.Throws<InvalidDataException>(() => FtrlModel.Load(new MemoryStream(new byte[200]), InProcessParameterStores.Default, "test"));
        Assert.Contains("magic", foreign.Message);
        Assert.Throws<EndOfStreamException>(() => FtrlModel.Load(new MemoryStream(bytes.AsSpan(0, 80).ToArray()), InProcessParameterStores.Default, "test"));
    }

    [Theory]
    [InlineData(0, 1, 1, 1, 18, "alpha")]
    [InlineData(0.1, -1, 1, 1, 18, "beta")]
    [InlineData(0.1, 1, double.NaN, 1, 18, "l1")]
    [InlineData(0.1, 1, 1, 1, 30, "bits")]
    [InlineData(0.1, 0, 1, 1, 18, "beta")]
    public void New_BadOptions_NameTheOption(double alpha, double beta, double l1, double l2, int bits, string name)
    {
        var error = Assert.Throws<ArgumentException>(() => FtrlModel.Create(new FtrlOptions { Alpha = alpha, Beta = beta, L1 = l1, L2 = l2, Bits = bits }, InProcessParameterStores.Default, "test"));
        Assert.Contains(name, error.Message);
    }

    private static FtrlModel Train(FtrlOptions options, int examples)
    {
        var model = FtrlModel.Create(options, InProcessParameterStores.Default, "test");
        var hasher = new FeatureHasher(options.Bits);
        var stream = new SyntheticClicks(seed: 2);
        var x = new SparseVector();
        for (int i = 0; i < examples; i++)
        {
            model.Learn(x, stream.Next(hasher, x));
        }

        return model;
    }

    /// <summary>
    /// Checkpoints are checked with System.IO.Hashing's streamed XXH64 seeded by our own XXH64 of the header; version
    /// 1 files were checked with our one-shot XXH64. Both must agree for those files to load.
    /// </summary>
    [Fact]
    public void CheckpointHash_StreamedWithASeed_EqualsTheOneShotHashOfVersionOne()
    {
        var random = new Random(9);
        foreach (int length in new[] { 0, 1, 31, 32, 33, 64, 1_000, 8_192 + 5 })
        {
            var bytes = new byte[length];
            random.NextBytes(bytes);
            ulong seed = (ulong)random.NextInt64();
            var streamed = new System.IO.Hashing.XxHash64(unchecked((long)seed));
            streamed.Append(bytes.AsSpan(0, length / 2));
            streamed.Append(bytes.AsSpan(length / 2));

            Assert.Equal(Freshet.Hashing.XxHash64.Hash(bytes, seed), streamed.GetCurrentHashAsUInt64());
        }
    }
}
