using System.Globalization;

namespace Freshet.BenchSuite.Suite;

/// <summary>Whether a larger figure is better (throughput) or a smaller one (latency, memory, time).</summary>
internal enum Better
{
    Higher,
    Lower,
}

/// <summary>
/// One measured figure: every run's sample (the report gives the median with min and max), the budget line of
/// DESIGN.md it answers to (if any), and the same figure for the Redis peer measured in the same run (if any).
/// </summary>
internal sealed class Figure(string scenario, string name, string unit, Better better)
{
    public string Scenario { get; } = scenario;

    public string Name { get; } = name;

    public string Unit { get; } = unit;

    public Better Better { get; } = better;

    public List<double> Samples { get; } = [];

    public List<double> PeerSamples { get; } = [];

    /// <summary>The budget's target, in the figure's unit.</summary>
    public double? Target { get; init; }

    /// <summary>What the peer is, when it differs from the scenario's plain Redis peer.</summary>
    public string? Note { get; set; }

    public double Median => MedianOf(Samples);

    public double? PeerMedian => PeerSamples.Count == 0 ? null : MedianOf(PeerSamples);

    /// <summary>Freshet over peer, oriented so above 1 means Freshet is better.</summary>
    public double? Advantage => PeerMedian is { } peer && peer > 0 && Median > 0
        ? Better == Better.Higher ? Median / peer : peer / Median
        : null;

    public bool? MeetsTarget => Target is { } target && Samples.Count > 0
        ? Better == Better.Higher ? Median >= target : Median <= target
        : null;

    public static double MedianOf(List<double> samples)
    {
        if (samples.Count == 0)
        {
            return double.NaN;
        }

        var sorted = samples.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    public string Format(double value) => Format(value, Unit);

    public static string Format(double value, string unit)
    {
        if (double.IsNaN(value))
        {
            return "–";
        }

        string number = Math.Abs(value) >= 100 ? value.ToString("N0", CultureInfo.InvariantCulture)
            : Math.Abs(value) >= 10 ? value.ToString("N1", CultureInfo.InvariantCulture)
            : value.ToString("N2", CultureInfo.InvariantCulture);
        return unit.Length == 0 ? number : $"{number} {unit}";
    }
}
