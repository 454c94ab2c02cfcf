using System.Diagnostics;
using Freshet.BenchSuite.Peers;

namespace Freshet.BenchSuite.Suite;

/// <summary>What every scenario shares: the options, the figures so far, notes for the report, and the Redis peer.</summary>
internal sealed class SuiteContext(SuiteOptions options, RedisServer? redis) : IDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    public SuiteOptions Options { get; } = options;

    public List<Figure> Figures { get; } = [];

    public List<string> Notes { get; } = [];

    /// <summary>The peer, or null when redis-server is missing (the report then says so).</summary>
    public RedisServer? Redis { get; } = redis;

    public Figure Figure(string scenario, string name, string unit, Better better, double? target = null)
    {
        var figure = new Figure(scenario, name, unit, better) { Target = target };
        Figures.Add(figure);
        return figure;
    }

    public void Log(string line) => Console.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:0.0} s] {line}");

    public void Dispose() => Redis?.Dispose();
}

/// <summary>One scenario of the suite.</summary>
internal interface IScenario
{
    string Name { get; }

    Task RunAsync(SuiteContext context);
}
