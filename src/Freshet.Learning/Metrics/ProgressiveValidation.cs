namespace Freshet.Learning.Metrics;

/// <summary>
/// Running quality of an online model, scored on each example before the model learns from it (progressive
/// validation, Blum et al. 1999): log loss, AUC, normalized entropy (log loss over the entropy of the base rate,
/// He et al. 2014 — below 1 means better than always predicting the base rate) and calibration (predicted over
/// observed positives). AUC comes from a histogram of scores over 4,096 bins of the logit, so it costs O(1) per
/// example and stays within a bin's width of the exact value. Memory is fixed.
/// </summary>
public sealed class ProgressiveValidation
{
    private const int Bins = 4096;
    private const double MaxLogit = 16;
    private const double Epsilon = 1e-15;

    private readonly long[] _positives = new long[Bins];
    private readonly long[] _negatives = new long[Bins];
    private double _logLossSum;
    private double _predictedSum;

    public long Count { get; private set; }

    public long Positives { get; private set; }

    /// <summary>Records one prediction and its label.</summary>
    public void Add(double p, bool label)
    {
        double clipped = Math.Clamp(p, Epsilon, 1 - Epsilon);
        _logLossSum -= label ? Math.Log(clipped) : Math.Log(1 - clipped);
        _predictedSum += p;
        Count++;
        double logit = Math.Log(clipped / (1 - clipped));
        int bin = (int)((Math.Clamp(logit, -MaxLogit, MaxLogit) + MaxLogit) / (2 * MaxLogit) * (Bins - 1));
        if (label)
        {
            Positives++;
            _positives[bin]++;
        }
        else
        {
            _negatives[bin]++;
        }
    }

    /// <summary>Mean log loss (natural log); NaN before the first example.</summary>
    public double LogLoss => Count == 0 ? double.NaN : _logLossSum / Count;

    public double BaseRate => Count == 0 ? double.NaN : (double)Positives / Count;

    /// <summary>Log loss over the entropy of the base rate; NaN until both labels have been seen.</summary>
    public double NormalizedEntropy
    {
        get
        {
            double rate = BaseRate;
            if (Count == 0 || rate <= 0 || rate >= 1)
            {
                return double.NaN;
            }

            double entropy = -((rate * Math.Log(rate)) + ((1 - rate) * Math.Log(1 - rate)));
            return LogLoss / entropy;
        }
    }

    /// <summary>Sum of predictions over number of positives: 1 is calibrated, above 1 over-predicts.</summary>
    public double Calibration => Positives == 0 ? double.NaN : _predictedSum / Positives;

    /// <summary>Area under the ROC curve (ties within a bin count half); NaN until both labels have been seen.</summary>
    public double Auc
    {
        get
        {
            long negatives = Count - Positives;
            if (Positives == 0 || negatives == 0)
            {
                return double.NaN;
            }

            double area = 0;
            long negativesBelow = 0;
            for (int bin = 0; bin < Bins; bin++)
            {
                area += _positives[bin] * (negativesBelow + (0.5 * _negatives[bin]));
                negativesBelow += _negatives[bin];
            }

            return area / ((double)Positives * negatives);
        }
    }

    public void Save(BinaryWriter w)
    {
        w.Write(Count);
        w.Write(Positives);
        w.Write(_logLossSum);
        w.Write(_predictedSum);
        for (int i = 0; i < Bins; i++)
        {
            w.Write(_positives[i]);
            w.Write(_negatives[i]);
        }
    }

    public static ProgressiveValidation Load(BinaryReader r)
    {
        var quality = new ProgressiveValidation { Count = r.ReadInt64(), Positives = r.ReadInt64() };
        quality._logLossSum = r.ReadDouble();
        quality._predictedSum = r.ReadDouble();
        for (int i = 0; i < Bins; i++)
        {
            quality._positives[i] = r.ReadInt64();
            quality._negatives[i] = r.ReadInt64();
        }

        return quality;
    }

    public override string ToString() =>
        FormattableString.Invariant($"{Count:N0} examples, log loss {LogLoss:F4}, AUC {Auc:F4}, NE {NormalizedEntropy:F4}, calibration {Calibration:F3}");
}
