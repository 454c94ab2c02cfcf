namespace Freshet.Learning.Factorization;

/// <summary>Hyper-parameters of <see cref="RealtimeMf"/>.</summary>
public sealed record MfOptions
{
    /// <summary>Latent factors per user and item.</summary>
    public int Factors { get; init; } = 32;

    public double LearningRate { get; init; } = 0.05;

    /// <summary>L2 strength on factors and biases.</summary>
    public double Regularization { get; init; } = 0.01;

    /// <summary>Sampled negative items per observed interaction (each one a BPR pair).</summary>
    public int Negatives { get; init; } = 8;

    /// <summary>Standard deviation of new factors.</summary>
    public double InitialScale { get; init; } = 0.1;

    public int Seed { get; init; } = 42;

    /// <summary>Checks the values; throws naming the first bad one.</summary>
    public void Validate()
    {
        Check(Factors is >= 1 and <= 1024, "factors", Factors, "1 to 1024");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), "learning rate", LearningRate, "a positive number");
        Check(Regularization >= 0 && double.IsFinite(Regularization), "regularization", Regularization, "zero or more");
        Check(Negatives is >= 1 and <= 1000, "negatives", Negatives, "1 to 1000");
        Check(InitialScale > 0 && double.IsFinite(InitialScale), "initial scale", InitialScale, "a positive number");
    }

    private static void Check(bool ok, string name, object value, string expected)
    {
        if (!ok)
        {
            throw new ArgumentException($"matrix factorization {name} must be {expected}; got {value}");
        }
    }
}
