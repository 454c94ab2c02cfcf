namespace Freshet.Learning.Ftrl;

/// <summary>
/// FTRL-Proximal hyper-parameters, named as in McMahan et al. 2013 ("Ad Click Prediction: a View from the
/// Trenches"): the per-coordinate learning rate is α / (β + √n), and λ1 / λ2 are the L1 and L2 strengths.
/// </summary>
public sealed record FtrlOptions
{
    public double Alpha { get; init; } = 0.1;

    public double Beta { get; init; } = 1.0;

    public double L1 { get; init; } = 1.0;

    public double L2 { get; init; } = 1.0;

    /// <summary>
    /// The positive rate a new model predicts before it has learned anything: its bias starts at this rate's logit.
    /// Rare outcomes (purchases at 0.2 %) need it; from 0.5 the bias takes thousands of examples to come down.
    /// </summary>
    public double PriorRate { get; init; } = 0.5;

    /// <summary>log2 of the number of weights (hashed coordinates).</summary>
    public int Bits { get; init; } = 22;

    /// <summary>Checks the values; throws naming the first bad one.</summary>
    public void Validate()
    {
        Check(Alpha > 0 && double.IsFinite(Alpha), "alpha", Alpha, "a positive number");
        Check(Beta > 0 && double.IsFinite(Beta), "beta", Beta, "a positive number");
        Check(L1 >= 0 && double.IsFinite(L1), "l1", L1, "zero or more");
        Check(L2 >= 0 && double.IsFinite(L2), "l2", L2, "zero or more");
        Check(Bits is >= 4 and <= 29, "bits", Bits, "4 to 29");
        Check(PriorRate is > 0 and < 1, "prior rate", PriorRate, "between 0 and 1 (exclusive)");
    }

    private static void Check(bool ok, string name, object value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentException($"FTRL {name} must be {expected}; got {value}");
        }
    }
}
