namespace Freshet.Learning.Metrics;

/// <summary>
/// The constant-CTR baseline: predicts the positive rate seen so far (with a Beta(1, 1) prior), then updates it.
/// Any model worth serving must beat it in the same progressive validation.
/// </summary>
public sealed class RunningRate
{
    private long _positives;
    private long _count;

    public double Predict() => (_positives + 1.0) / (_count + 2.0);

    /// <summary>Predicts, then learns the label; returns the prediction.</summary>
    public double Learn(bool label)
    {
        double p = Predict();
        _count++;
        _positives += label ? 1 : 0;
        return p;
    }
}
