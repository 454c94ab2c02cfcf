using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Parameters;

namespace Freshet.Benchmarks;

/// <summary>
/// FTRL training at the budget's shape: examples of 40 hashed features (a bias, user, item, context fields and their
/// crosses), drawn with Zipf-like popularity over a 2^22-weight space, clicked at about 4 %. Examples are hashed once
/// up front, so <see cref="Train"/> measures learning alone; <see cref="HashAndTrain"/> includes building them.
/// </summary>
public sealed class FtrlWorkload
{
    public const int FeaturesPerExample = 40;
    private const int Examples = 65_536;

    private readonly SparseVector[] _examples;
    private readonly bool[] _labels;
    private readonly string[][] _raw;
    private readonly ulong[] _namespaces;
    private readonly FeatureHasher _hasher;

    public FtrlWorkload(int seed = 11, int bits = 22)
    {
        var random = new Random(seed);
        _hasher = new FeatureHasher(bits);
        _namespaces = [.. Enumerable.Range(0, FeaturesPerExample - 1).Select(i => FeatureHasher.Namespace($"f{i}"))];
        _examples = new SparseVector[Examples];
        _labels = new bool[Examples];
        _raw = new string[Examples][];
        for (int e = 0; e < Examples; e++)
        {
            // Field i takes one of 10^(1 + i % 6) values, popular ones more often.
            _raw[e] = [.. Enumerable.Range(0, FeaturesPerExample - 1).Select(i => $"v{(int)Math.Pow(Math.Pow(10, 1 + (i % 6)), random.NextDouble())}")];
            _labels[e] = random.NextDouble() < 0.04;
            _examples[e] = new SparseVector(FeaturesPerExample);
            Build(e, _examples[e]);
        }

        Model = FtrlModel.Create(new FtrlOptions { Bits = bits }, InProcessParameterStores.Default, "bench");
    }

    public FtrlModel Model { get; }

    /// <summary>Learns from <paramref name="count"/> pre-hashed examples; returns a checksum of the predictions.</summary>
    public double Train(int count)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            int e = i & (Examples - 1);
            sum += Model.Learn(_examples[e], _labels[e]);
        }

        return sum;
    }

    /// <summary>Hashes each example's 39 field values into <paramref name="x"/>, then learns from it.</summary>
    public double HashAndTrain(int count, SparseVector x)
    {
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            int e = i & (Examples - 1);
            Build(e, x);
            sum += Model.Learn(x, _labels[e]);
        }

        return sum;
    }

    private void Build(int e, SparseVector x)
    {
        _hasher.Begin(x);
        var raw = _raw[e];
        for (int i = 0; i < raw.Length; i++)
        {
            _hasher.Add(x, _namespaces[i], raw[i]);
        }
    }
}
