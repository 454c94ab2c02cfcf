using Freshet.Cli.Demo;
using Freshet.Contracts;

namespace Freshet.Cli.Tests;

/// <summary>The demo's log loss of the last few seconds: differences of the running sums, shown only once it means something.</summary>
public sealed class ModelMeterTests
{
    [Fact]
    public void Record_BeforeAnyNegative_ShowsNoRecentLogLoss()
    {
        var meter = new ModelMeter(historyLength: 10);

        var progress = meter.Record(TimeSpan.FromSeconds(1), Models(examples: 500, negatives: 0, logLoss: 3.2));

        Assert.Null(Assert.Single(progress.Models).RecentLogLoss);
    }

    [Fact]
    public void Record_TwoMoments_GivesTheLogLossOfTheExamplesBetweenThem()
    {
        var meter = new ModelMeter(historyLength: 10);
        meter.Record(TimeSpan.FromSeconds(1), Models(examples: 1_000, negatives: 900, logLoss: 0.5));

        // 1,000 examples at 0.5, then 3,000 more: the run's mean is 0.275, so the new ones average 0.2.
        var progress = meter.Record(TimeSpan.FromSeconds(2), Models(examples: 4_000, negatives: 3_800, logLoss: 0.275));

        var clicks = Assert.Single(progress.Models);
        Assert.Equal(0.2, clicks.RecentLogLoss!.Value, precision: 9);
        Assert.Equal(0.2, clicks.FirstLogLoss!.Value, precision: 9);
        Assert.Equal([0.2], clicks.History.Select(h => Math.Round(h, 9)));
    }

    [Fact]
    public void Record_FewExamplesInTheWindow_WaitsForMore()
    {
        var meter = new ModelMeter(historyLength: 10);
        meter.Record(TimeSpan.FromSeconds(1), Models(examples: 1_000, negatives: 900, logLoss: 0.5));

        var progress = meter.Record(TimeSpan.FromSeconds(2), Models(examples: 1_050, negatives: 940, logLoss: 0.49));

        Assert.Null(Assert.Single(progress.Models).RecentLogLoss);
    }

    private static ModelsResponse Models(long examples, long negatives, double logLoss)
    {
        var quality = new QualityDto(examples, examples - negatives, logLoss, 0.7, 0.9, 1.0);
        var constant = new QualityDto(examples, examples - negatives, logLoss * 1.1, 0.5, 1.0, 1.0);
        return new ModelsResponse([new ModelDto("clicks", "click", ExposuresScored: examples, Updates: examples, Positives: examples - negatives, Negatives: negatives, LabelsFinal: examples, Pending: 0, UnmatchedOutcomes: 0, Quality: quality, ConstantRate: constant)], examples, 0, 0, 0, null);
    }
}
