using Freshet.Learning.Metrics;

namespace Freshet.Learning.Tests;

public sealed class MetricsTests
{
    [Fact]
    public void Auc_FromBins_IsWithinABinOfTheExactValue()
    {
        var random = new Random(5);
        var quality = new ProgressiveValidation();
        var scored = new List<(double P, bool Label)>();
        for (int i = 0; i < 20_000; i++)
        {
            bool label = random.NextDouble() < 0.2;
            double logit = (label ? 0.8 : 0) + (random.NextDouble() * 4) - 3;
            double p = 1 / (1 + Math.Exp(-logit));
            quality.Add(p, label);
            scored.Add((p, label));
        }

        Assert.Equal(ExactAuc(scored), quality.Auc, 0.002);
    }

    [Fact]
    public void Metrics_KnownPredictions_MatchTheirFormulas()
    {
        var quality = new ProgressiveValidation();
        quality.Add(0.8, true);
        quality.Add(0.4, false);
        quality.Add(0.1, false);
        quality.Add(0.3, true);

        double logLoss = -(Math.Log(0.8) + Math.Log(0.6) + Math.Log(0.9) + Math.Log(0.3)) / 4;
        Assert.Equal(logLoss, quality.LogLoss, 12);
        Assert.Equal(logLoss / Math.Log(2), quality.NormalizedEntropy, 12); // Base rate 1/2: entropy ln 2.
        Assert.Equal((0.8 + 0.4 + 0.1 + 0.3) / 2, quality.Calibration, 12);
        Assert.Equal(0.75, quality.Auc, 12); // Pairs (0.8 > 0.4, 0.8 > 0.1, 0.3 < 0.4, 0.3 > 0.1): 3 of 4.
    }

    [Fact]
    public void Metrics_BeforeBothLabels_AreNotANumber()
    {
        var quality = new ProgressiveValidation();
        Assert.True(double.IsNaN(quality.LogLoss));
        quality.Add(0.3, false);
        Assert.True(double.IsNaN(quality.Auc));
        Assert.True(double.IsNaN(quality.NormalizedEntropy));
        Assert.True(double.IsNaN(quality.Calibration));
    }

    [Fact]
    public void RunningRate_PredictsTheSmoothedRateSeenSoFar()
    {
        var rate = new RunningRate();
        Assert.Equal(0.5, rate.Learn(true));
        Assert.Equal(2.0 / 3, rate.Learn(false), 12);
        Assert.Equal(0.5, rate.Predict(), 12);
    }

    private static double ExactAuc(List<(double P, bool Label)> scored)
    {
        var sorted = scored.OrderBy(s => s.P).ToList();
        double area = 0;
        long negatives = 0;
        foreach (var (_, label) in sorted)
        {
            if (label)
            {
                area += negatives;
            }
            else
            {
                negatives++;
            }
        }

        long positives = scored.Count(s => s.Label);
        return area / ((double)positives * (scored.Count - positives));
    }
}

public sealed class DelayedFeedbackTests
{
    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.2, 0.25)]
    [InlineData(1.0 / 3, 0.5)]
    public void Calibrate_UndoesTheFakeNegatives(double biased, double expected) =>
        Assert.Equal(expected, Freshet.Learning.Labels.DelayedFeedback.Calibrate(biased), 12);

    [Fact]
    public void FakeNegatives_OnAConstantRate_RecoverTheRate()
    {
        // 10 % of exposures convert: learned as 100 negatives and 10 positives, the biased rate is 10 / 110.
        var rate = new Freshet.Learning.Metrics.RunningRate(priorCount: 0.000_001);
        for (int i = 0; i < 100; i++)
        {
            rate.Learn(false);
            if (i % 10 == 0)
            {
                rate.Learn(true);
            }
        }

        Assert.Equal(0.1, Freshet.Learning.Labels.DelayedFeedback.Calibrate(rate.Predict()), 6);
    }
}
