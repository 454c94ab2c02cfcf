namespace Freshet.Learning.Metrics;

/// <summary>
/// The constant-CTR baseline: predicts the positive rate seen so far, smoothed by a Beta prior worth
/// <paramref name="priorCount"/> examples at <paramref name="priorRate"/>, then updates it. Any model worth serving
/// must beat it in the same progressive validation.
/// </summary>
public sealed class RunningRate(double priorRate = 0.5, double priorCount = 2)
{
    private long _positives;
    private long _count;

    public double Predict() => (_positives + (priorRate * priorCount)) / (_count + priorCount);

    public void Save(BinaryWriter w)
    {
        w.Write(_positives);
        w.Write(_count);
    }

    public void Load(BinaryReader r)
    {
        _positives = r.ReadInt64();
        _count = r.ReadInt64();
    }

    /// <summary>Predicts, then learns the label; returns the prediction.</summary>
    public double Learn(bool label)
    {
        double p = Predict();
        _count++;
        _positives += label ? 1 : 0;
        return p;
    }
}
