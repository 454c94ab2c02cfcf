using BenchmarkDotNet.Attributes;
using Freshet.Learning.Features;

namespace Freshet.Benchmarks;

/// <summary>FTRL-Proximal training on one thread, 40 hashed features an example (the budget: ≥ 1 M examples/s per core).</summary>
[MemoryDiagnoser]
public class FtrlBenchmarks
{
    private const int Batch = 10_000;
    private FtrlWorkload _workload = null!;

    /// <summary>log2 of the weights: 18 fits in cache (Vowpal Wabbit's default), 22 does not.</summary>
    [Params(18, 22)]
    public int Bits { get; set; }
    private readonly SparseVector _x = new(FtrlWorkload.FeaturesPerExample);

    [GlobalSetup]
    public void Setup()
    {
        _workload = new FtrlWorkload(bits: Bits);
        _workload.Train(1_000_000); // Warm the weights: a steady model, not an empty one.
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public double Learn() => _workload.Train(Batch);

    [Benchmark(OperationsPerInvoke = Batch)]
    public double HashAndLearn() => _workload.HashAndTrain(Batch, _x);
}
