using System.Diagnostics;
using Freshet.Benchmarks;
using Freshet.BenchSuite.Suite;
using Freshet.Learning.Features;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// FTRL-Proximal training on one thread (one core), 40 hashed features an example, after a warm-up: with 2^18 weights (Vowpal Wabbit's default; 2 MiB of optimizer state, which stays in cache) and with
/// 2^22 (32 MiB, past this machine's L3 cache, so most coordinates are a memory access), learning from pre-hashed
/// examples, and at 2^18 also hashing the raw field values.
/// </summary>
internal sealed class LearningScenario : IScenario
{
    public string Name => ScenarioName;

    private const string ScenarioName = "Online learning";

    public Task RunAsync(SuiteContext context)
    {
        string features = $"{FtrlWorkload.FeaturesPerExample} hashed features an example, one thread";
        var small = context.Figure(Name, $"FTRL training, {features}, 2^18 weights", "examples/s", Better.Higher, target: 1_000_000);
        var hashed = context.Figure(Name, "FTRL training including hashing the raw field values, 2^18 weights", "examples/s", Better.Higher);
        var large = context.Figure(Name, $"FTRL training, {features}, 2^22 weights (32 MiB of state)", "examples/s", Better.Higher);
        int examples = context.Options.Quick ? 500_000 : 3_000_000;
        var inCache = new FtrlWorkload(bits: 18);
        var pastCache = new FtrlWorkload(bits: 22);
        inCache.Train(examples); // Warm: a steady model, not an empty one.
        pastCache.Train(examples);
        var x = new SparseVector(FtrlWorkload.FeaturesPerExample);
        for (int run = 0; run < context.Options.Runs; run++)
        {
            small.Samples.Add(Rate(() => inCache.Train(examples), examples));
            hashed.Samples.Add(Rate(() => inCache.HashAndTrain(examples, x), examples));
            large.Samples.Add(Rate(() => pastCache.Train(examples), examples));
            context.Log($"  run {run + 1}: {small.Samples[^1]:N0} examples/s at 2^18 weights ({hashed.Samples[^1]:N0} with hashing), {large.Samples[^1]:N0} at 2^22");
        }

        Ranking(context);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Ranking 100 candidates with a click model (hashed user, item and category), and the top 10 of 100,000 items
    /// for a user from a recommender with 32 factors, each after the models learned a stream; p50 and p99 in process.
    /// </summary>
    private static void Ranking(SuiteContext context)
    {
        var score50 = context.Figure(ScenarioName, "click model: 100 candidates ranked, p50", "µs", Better.Lower);
        var score99 = context.Figure(ScenarioName, "click model: 100 candidates ranked, p99", "µs", Better.Lower);
        var recommend50 = context.Figure(ScenarioName, "recommender: top 10 of 100,000 items, p50", "µs", Better.Lower);
        var recommend99 = context.Figure(ScenarioName, "recommender: top 10 of 100,000 items, p99", "µs", Better.Lower);
        var strings = new Freshet.Events.StringInterner();
        var click = new Freshet.Learning.Pipeline.ClickModel(new Freshet.Learning.Pipeline.ClickModelDefinition
        {
            Name = "clicks",
            ExposureEvents = ["view"],
            OutcomeEvents = ["click"],
            KeyFields = ["user", "item"],
            Fields = ["user", "item", "category"],
            Crosses = [("user", "category")],
        }, strings);
        var mf = Freshet.Learning.Factorization.RealtimeMf.Create(new Freshet.Learning.Factorization.MfOptions(), Freshet.Learning.Parameters.InProcessParameterStores.Default, "bench");
        var random = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            mf.Learn(random.Next(10_000), i); // Every item once, so the catalogue has 100,000 items.
        }

        for (int i = 0; i < 400_000; i++)
        {
            mf.Learn(random.Next(10_000), (int)Math.Min(99_999, Math.Pow(100_000, random.NextDouble())));
        }

        var candidates = Enumerable.Range(0, 100).Select(c => new Dictionary<string, string> { ["user"] = "u1", ["item"] = $"i{c}", ["category"] = $"c{c % 7}" }).ToArray();
        for (int run = 0; run < context.Options.Runs; run++)
        {
            var scoring = new Percentiles();
            var recommending = new Percentiles();
            double tick = 1e6 / Stopwatch.Frequency;
            for (int n = 0; n < 2_000; n++)
            {
                long start = Stopwatch.GetTimestamp();
                foreach (var candidate in candidates)
                {
                    click.Score(candidate);
                }

                scoring.Add((Stopwatch.GetTimestamp() - start) * tick);
            }

            for (int n = 0; n < 300; n++)
            {
                long start = Stopwatch.GetTimestamp();
                mf.Recommend(random.Next(10_000), 10);
                recommending.Add((Stopwatch.GetTimestamp() - start) * tick);
            }

            score50.Samples.Add(scoring.At(0.5));
            score99.Samples.Add(scoring.At(0.99));
            recommend50.Samples.Add(recommending.At(0.5));
            recommend99.Samples.Add(recommending.At(0.99));
            context.Log($"  run {run + 1}: 100 candidates p99 {score99.Samples[^1]:N0} µs; top 10 of 100,000 items p99 {recommend99.Samples[^1]:N0} µs");
        }
    }

    private static double Rate(Func<double> work, int examples)
    {
        var clock = Stopwatch.StartNew();
        work();
        return examples / clock.Elapsed.TotalSeconds;
    }
}
