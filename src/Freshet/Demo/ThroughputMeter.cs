namespace Freshet.Cli.Demo;

/// <summary>
/// Events per second over the last second (from samples taken a few times a second), the average since the start,
/// the peak, a short history for a sparkline, and how fast simulated time has been running.
/// </summary>
internal sealed class ThroughputMeter(int historyLength, long simulatedStartMs)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(1);

    private readonly Queue<(TimeSpan At, long Count, long SimulatedMs)> _recent = new();
    private readonly Queue<double> _history = new();

    public double Current { get; private set; }

    public double Average { get; private set; }

    public double Peak { get; private set; }

    /// <summary>Simulated seconds per real second over the last second.</summary>
    public double SimulatedSpeed { get; private set; }

    public IReadOnlyList<double> History => [.. _history];

    public void Record(TimeSpan at, long count, long simulatedMs)
    {
        _recent.Enqueue((at, count, simulatedMs));
        while (_recent.Count > 2 && at - _recent.Peek().At > Window)
        {
            _recent.Dequeue();
        }

        // The first sample has nothing to compare with: measure from the start instead.
        var (firstAt, firstCount, firstSimulatedMs) = _recent.Count > 1 ? _recent.Peek() : (TimeSpan.Zero, 0, simulatedStartMs);
        double seconds = (at - firstAt).TotalSeconds;
        if (seconds > 0)
        {
            Current = (count - firstCount) / seconds;
            SimulatedSpeed = (simulatedMs - firstSimulatedMs) / 1000.0 / seconds;
            Peak = Math.Max(Peak, Current);
        }

        Average = at.TotalSeconds > 0 ? count / at.TotalSeconds : 0;
        _history.Enqueue(Current);
        while (_history.Count > historyLength)
        {
            _history.Dequeue();
        }
    }
}
