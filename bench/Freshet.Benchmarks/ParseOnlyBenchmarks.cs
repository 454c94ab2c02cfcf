using System.Text;
using BenchmarkDotNet.Attributes;
using Freshet.Events;

namespace Freshet.Benchmarks;

/// <summary>
/// Per-event cost of <see cref="EventJsonParser"/> on a realistic NDJSON body (id, type, time and five fields, strings
/// already interned), the path every HTTP request takes before the engine. The parser's validation (duplicate keys,
/// number range, string checks) runs here, so its cost shows against the ≥1M events/s budget.
/// </summary>
[MemoryDiagnoser]
public class ParseOnlyBenchmarks
{
    private const int Events = 4096;
    private readonly StringInterner _strings = new();
    private readonly EventBatch _batch = new(Events);
    private readonly List<EventError> _errors = [];
    private EventJsonParser _parser = null!;
    private byte[] _ndjson = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        for (int i = 0; i < Events; i++)
        {
            text.Append("{\"id\": \"e").Append(i).Append("\", \"type\": \"").Append(i % 5 == 0 ? "click" : "view")
                .Append("\", \"time\": ").Append(1_763_719_200_000L + i)
                .Append(", \"user\": \"u").Append(i % 1000).Append("\", \"item\": \"i").Append(i % 500)
                .Append("\", \"category\": \"c").Append(i % 20).Append("\", \"price\": ").Append(i % 100).Append(".25, \"mobile\": true}\n");
        }

        _ndjson = Encoding.UTF8.GetBytes(text.ToString());
        _parser = new EventJsonParser(_strings);
        ParseNdjson(); // Interns every string once, so the measured runs are the steady state.
    }

    [Benchmark(OperationsPerInvoke = Events)]
    public int ParseNdjson()
    {
        _batch.Clear();
        _errors.Clear();
        return _parser.Parse(_ndjson, _batch, _errors);
    }
}
