using System.Diagnostics;
using Freshet.Benchmarks;
using Freshet.BenchSuite.Suite;
using Freshet.Learning.Features;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// FTRL-Proximal training on one thread (one core), 40 hashed features an example, after a warm-up of a million
/// examples: with 2^18 weights (Vowpal Wabbit's default; 2 MiB of optimizer state, which stays in cache) and with
/// 2^22 (32 MiB, past this machine's L3 cache, so most coordinates are a memory access), learning from pre-hashed
/// examples, and at 2^18 also hashing the raw field values.
/// </summary>
internal sealed class LearningScenario : IScenario
{
    public string Name => "Online learning";

    public Task RunAsync(SuiteContext context)
    {
        string features = $"{FtrlWorkload.FeaturesPerExample} hashed features an example, one thread";
        var small = context.Figure(Name, $"FTRL training, {features}, 2^18 weights", "examples/s", Better.Higher, target: 1_000_000);
        var hashed = context.Figure(Name, "FTRL training including hashing the raw field values, 2^18 weights", "examples/s", Better.Higher);
        var large = context.Figure(Name, $"FTRL training, {features}, 2^22 weights (32 MiB of state)", "examples/s", Better.Higher);
        var inCache = new FtrlWorkload(bits: 18);
        var pastCache = new FtrlWorkload(bits: 22);
        inCache.Train(1_000_000);
        pastCache.Train(1_000_000);
        var x = new SparseVector(FtrlWorkload.FeaturesPerExample);
        int examples = context.Options.Quick ? 1_000_000 : 3_000_000;
        for (int run = 0; run < context.Options.Runs; run++)
        {
            small.Samples.Add(Rate(() => inCache.Train(examples), examples));
            hashed.Samples.Add(Rate(() => inCache.HashAndTrain(examples, x), examples));
            large.Samples.Add(Rate(() => pastCache.Train(examples), examples));
            context.Log($"  run {run + 1}: {small.Samples[^1]:N0} examples/s at 2^18 weights ({hashed.Samples[^1]:N0} with hashing), {large.Samples[^1]:N0} at 2^22");
        }

        return Task.CompletedTask;
    }

    private static double Rate(Func<double> work, int examples)
    {
        var clock = Stopwatch.StartNew();
        work();
        return examples / clock.Elapsed.TotalSeconds;
    }
}
