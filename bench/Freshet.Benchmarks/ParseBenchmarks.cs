using BenchmarkDotNet.Attributes;
using Freshet.Engine;
using Freshet.Events;

namespace Freshet.Benchmarks;

/// <summary>
/// Per-event cost of what <c>POST /v1/events</c> does with a body: parse NDJSON into a reused batch, then ingest it
/// (validation, promotion of the values state holds, routing, the shards). With <see cref="UniqueNotes"/> each event also
/// has a field no feature reads whose value is new every time, the case that used to intern every value forever.
/// </summary>
[MemoryDiagnoser]
public class ParseBenchmarks
{
    private const int Events = 4096;
    private FreshetEngine _engine = null!;
    private JsonBodies _bodies = null!;
    private readonly EventBatch _batch = new(Events);
    private readonly List<EventError> _errors = [];
    private EventJsonParser _parser = null!;

    [Params(false, true)]
    public bool UniqueNotes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _engine = BenchStream.NewEngine(1);
        _ = new BenchStream(_engine); // Interns the users and items, as a server that has seen them would have.
        _parser = new EventJsonParser(_engine.Strings);
        _bodies = new JsonBodies(Events, UniqueNotes);
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Events)]
    public int Parse()
    {
        _bodies.Renew();
        _batch.Clear();
        _errors.Clear();
        return _parser.Parse(_bodies.Body, _batch, _errors);
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int ParseAndIngest()
    {
        int seen = Parse();
        _engine.Ingest(_batch);
        _engine.Flush(TimeSpan.FromMinutes(1));
        return seen;
    }
}
