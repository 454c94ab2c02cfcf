namespace Freshet.BenchSuite.Suite;

/// <summary>Latency samples and their percentiles (exact: the samples are kept, a few hundred thousand at most).</summary>
internal sealed class Percentiles
{
    private readonly List<double> _values = [];
    private double[]? _sorted;

    public int Count => _values.Count;

    public void Add(double value)
    {
        _values.Add(value);
        _sorted = null;
    }

    public void AddRange(IEnumerable<double> values)
    {
        _values.AddRange(values);
        _sorted = null;
    }

    /// <summary>The value below which <paramref name="p"/> (0..1) of the samples lie (nearest rank).</summary>
    public double At(double p)
    {
        if (_values.Count == 0)
        {
            return double.NaN;
        }

        _sorted ??= [.. _values.Order()];
        int rank = (int)Math.Ceiling(p * _sorted.Length) - 1;
        return _sorted[Math.Clamp(rank, 0, _sorted.Length - 1)];
    }
}
