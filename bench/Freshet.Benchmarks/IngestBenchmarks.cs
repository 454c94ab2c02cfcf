using BenchmarkDotNet.Attributes;
using Freshet.Engine;
using Freshet.Events;

namespace Freshet.Benchmarks;

/// <summary>
/// Per-event cost of ingest + aggregation (5 features per event) through the real engine: router, bounded hand-off
/// and shards, flushed every invocation so the work measured is the work applied. The fill-only baseline is the
/// cost of producing the events, to subtract.
/// </summary>
[MemoryDiagnoser]
public class IngestBenchmarks
{
    private const int BatchSize = 4096;
    private const int BatchesPerInvoke = 16;
    private FreshetEngine _engine = null!;
    private BenchStream _stream = null!;
    private readonly EventBatch _batch = new(BatchSize);

    [Params(1, 2)]
    public int Shards { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchStream.NewEngine(Shards);
        _stream = new BenchStream(_engine);
        // Warm: an hour of simulated traffic, so tables have grown and tiles roll up and expire.
        for (int i = 0; i < 200; i++)
        {
            IngestOnce();
        }

        _engine.Flush(TimeSpan.FromMinutes(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchSize * BatchesPerInvoke)]
    public void FillOnly()
    {
        for (int b = 0; b < BatchesPerInvoke; b++)
        {
            _stream.Fill(_batch, BatchSize);
        }
    }

    [Benchmark(OperationsPerInvoke = BatchSize * BatchesPerInvoke)]
    public void IngestAndApply()
    {
        for (int b = 0; b < BatchesPerInvoke; b++)
        {
            IngestOnce();
        }

        _engine.Flush(TimeSpan.FromMinutes(1));
    }

    private void IngestOnce()
    {
        _stream.Fill(_batch, BatchSize);
        _engine.Ingest(_batch);
    }
}
