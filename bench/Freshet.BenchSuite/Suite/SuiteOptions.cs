namespace Freshet.BenchSuite.Suite;

/// <summary>How long and how often each scenario runs: <c>--quick</c> (under 3 minutes in all) or the full run (under 20).</summary>
internal sealed record SuiteOptions
{
    public bool Quick { get; init; }

    /// <summary>Runs per figure; the report gives their median, min and max.</summary>
    public int Runs => Quick ? 3 : 5;

    /// <summary>Seconds each throughput run measures (after its warm-up).</summary>
    public double MeasureSeconds => Quick ? 1.5 : 4;

    /// <summary>Requests per second the HTTP serving scenario offers (the budget is 20,000).</summary>
    public int ReadRate => Quick ? 5_000 : 20_000;

    /// <summary>Tile counts the memory scenario builds.</summary>
    public long[] MemoryTiles => Quick ? [1_000_000] : [1_000_000, 10_000_000];

    /// <summary>Tiles in the recovery scenario's checkpoint (the budget is about 10 M).</summary>
    public long RecoveryTiles => Quick ? 1_000_000 : 10_000_000;

    /// <summary>Freshness probes (their percentiles are the figures; p999 needs a thousand or more).</summary>
    public int FreshnessProbes => Quick ? 400 : 3_000;

    /// <summary>Where latest.md and latest.json go.</summary>
    public string OutputDirectory { get; init; } = "bench/results";

    /// <summary>Only the scenarios whose names contain one of these (all when empty).</summary>
    public IReadOnlyList<string> Only { get; init; } = [];

    public bool Includes(string name) => Only.Count == 0 || Only.Any(o => name.Contains(o, StringComparison.OrdinalIgnoreCase));
}
