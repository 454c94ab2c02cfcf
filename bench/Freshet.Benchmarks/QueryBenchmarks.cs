using BenchmarkDotNet.Attributes;
using Freshet.Engine;
using Freshet.Reading;
using Freshet.Events;

namespace Freshet.Benchmarks;

/// <summary>In-process read cost: one item's vector (count, sum, distinct at 1h and 24h) after an hour of traffic.</summary>
[MemoryDiagnoser]
public class QueryBenchmarks
{
    private FreshetEngine _engine = null!;
    private readonly VectorQuery _counts = new() { Features = ["item_views", "item_revenue"] };
    private readonly string[] _hot = ["i0"];

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchStream.NewEngine(2);
        var stream = new BenchStream(_engine);
        var batch = new EventBatch(4096);
        for (int i = 0; i < 400; i++)
        {
            stream.Fill(batch, 4096);
            _engine.Ingest(batch);
        }

        _engine.Flush(TimeSpan.FromMinutes(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark]
    public FeatureVector CountAndSumVector() => _engine.Reader.ReadVector("item", _hot, _counts).ValueOrThrow();

    [Benchmark]
    public FeatureVector FullItemVector() => _engine.Reader.ReadVector("item", _hot).ValueOrThrow();
}
