using System.Globalization;
using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Labels;
using Freshet.Learning.Metrics;
using Freshet.Learning.Parameters;
using Freshet.Testing.TestData;
using Xunit.Abstractions;

namespace Freshet.Learning.Tests;

/// <summary>
/// Real shop logs replayed in order through the label join: a view is an exposure, a cart, favourite or purchase of
/// the same user and item within the attribution window makes it positive. FTRL learns every labelled example after
/// scoring it (progressive validation), beside the constant-rate baseline in the same run.
/// </summary>
public sealed class ClickReplayTests(ITestOutputHelper output)
{
    private static readonly ulong User = FeatureHasher.Namespace("user");
    private static readonly ulong Item = FeatureHasher.Namespace("item");
    private static readonly ulong Category = FeatureHasher.Namespace("category");
    private static readonly ulong Hour = FeatureHasher.Namespace("hour");

    /// <summary>
    /// Two hours of Taobao: 66 k users with 1.7 events each and 85 k items, so user, item and category ids carry next
    /// to no signal in so short a slice. FTRL stays calibrated and as good as the constant rate, and better than
    /// offline logistic regression, which overfits the ids; beating the constant rate here needs the live features of
    /// user and item (issue 6, part 2), which this replay does not have yet.
    /// </summary>
    [DataFact("taobao_userbehavior")]
    public void Taobao_ViewsLabelledByCartFavBuy_FtrlMatchesTheConstantRateOnIdsAlone()
    {
        // user_id,item_id,category_id,behavior_type,timestamp (seconds)
        var events = File.ReadLines(SharedData.PathOf("taobao_userbehavior/UserBehavior.csv"))
            .Select(line => line.Split(','))
            .Select(f => new ShopEvent(f[3] == "pv", f[0], f[1], f[2], long.Parse(f[4], CultureInfo.InvariantCulture) * 1000));
        var (model, constant, holdout) = Replay(events, "Taobao");
        Assert.True(model.LogLoss < constant.LogLoss * 1.01, $"FTRL {model}; constant {constant}");
        Assert.InRange(model.Calibration, 0.7, 1.4);
        if (holdout.OfflineLogLoss is { } offline)
        {
            Assert.True(holdout.Online.LogLoss < offline, $"FTRL online {holdout.Online}; offline log loss {offline:F4}");
        }
    }

    [DataFact("rees46_ecommerce_sample")]
    public void Rees46_ViewsLabelledByCartOrPurchase_FtrlBeatsTheConstantRate()
    {
        // event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session; the last line is cut off.
        var lines = File.ReadLines(SharedData.PathOf("rees46_ecommerce_sample/2019-Oct.csv")).Skip(1).ToList();
        var events = lines.Take(lines.Count - 1)
            .Select(line => line.Split(','))
            .Select(f => new ShopEvent(f[1] == "view", f[7], f[2], f[3],
                DateTimeOffset.ParseExact(f[0], "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds()));
        var (model, constant, holdout) = Replay(events, "REES46");
        Assert.True(model.NormalizedEntropy < 0.99, $"FTRL {model}");
        Assert.True(model.LogLoss < constant.LogLoss, $"FTRL {model}; constant {constant}");
        Assert.True(model.Auc > constant.Auc + 0.1, $"FTRL {model}; constant {constant}");
        Assert.InRange(model.Calibration, 0.8, 1.25);
        if (holdout.OfflineLogLoss is { } offline)
        {
            // Offline LR trained on 80 % with every pass it wants is ahead of one online pass, but not by much.
            Assert.True(holdout.Online.LogLoss < offline * 1.1, $"FTRL online {holdout.Online}; offline log loss {offline:F4}");
        }
    }

    /// <summary>
    /// Replays the events and returns the quality of FTRL and of the constant rate, both judged by the score each gave
    /// when the view happened (what a ranker would have served; neither knew the example's label yet). Both learn
    /// with fake negatives (<see cref="DelayedFeedback"/>): each view at once as a negative, and again as a positive
    /// when a cart or purchase follows. FTRL scored again when the label arrives is printed beside it.
    /// </summary>
    private (ProgressiveValidation Model, ProgressiveValidation Constant, Holdout Holdout) Replay(IEnumerable<ShopEvent> events, string name)
    {
        // Outcomes are rare (0.2 % of views on Taobao, 2 % on REES46): the bias starts at a 1 % rate instead of 50 %.
        var options = new FtrlOptions { Alpha = 0.2, Beta = 1, L1 = 1, L2 = 10, PriorRate = 0.01, Bits = 20 };
        var model = FtrlModel.Create(options, InProcessParameterStores.Default, "test");
        var baseline = new RunningRate(options.PriorRate, priorCount: 100); // Also learns with fake negatives.
        var hasher = new FeatureHasher(options.Bits);
        var served = new ProgressiveValidation();
        var constantServed = new ProgressiveValidation();
        var atLabel = new ProgressiveValidation();
        var labelled = new List<Labelled>();
        // By key and exposure time, first in first out: a key clicked and viewed again in the same second has two.
        var featuresOf = new Dictionary<(JoinKey, long), Queue<(int[] Indices, float[] Values)>>();
        // A 10-minute attribution window: positives are learned when they happen, and every exposure is judged once,
        // with its final label, when its window closes.
        var join = new LabelJoin(windowMs: 600_000, maxPending: 1_000_000,
            example =>
            {
                atLabel.Add(DelayedFeedback.Calibrate(model.Predict(example.Features)), true);

                // Fake negatives (DelayedFeedback): the exposure was learned as a negative when it happened; learn the
                // positive now. A window closing without an outcome adds nothing.
                model.Learn(example.Features, true);
                baseline.Learn(true);
            },
            final =>
            {
                served.Add(final.ServedScore, final.Positive);
                constantServed.Add(final.BaselineScore, final.Positive);
                var x = featuresOf[(final.Key, final.ExposedAtMs)].Dequeue();
                labelled.Add(new Labelled(final.ExposedAtMs, x.Indices, x.Values, final.Positive, final.ServedScore, final.BaselineScore));
            });
        var x = new SparseVector();
        foreach (var e in events)
        {
            var key = new JoinKey((long)FeatureHasher.ValueHash(e.User), (long)FeatureHasher.ValueHash(e.Item));
            if (!e.Exposure)
            {
                join.Outcome(key, e.TimeMs);
                continue;
            }

            ulong user = FeatureHasher.ValueHash(e.User), category = FeatureHasher.ValueHash(e.Category);
            hasher.Begin(x);
            hasher.AddHashed(x, User, user);
            hasher.AddHashed(x, Item, FeatureHasher.ValueHash(e.Item));
            hasher.AddHashed(x, Category, category);
            hasher.AddCross(x, User, user, Category, category);
            hasher.Add(x, Hour, (e.TimeMs / 3_600_000 % 24).ToString(CultureInfo.InvariantCulture));
            join.AdvanceTo(e.TimeMs); // Close what is due first, so a key whose window just ended opens a new example.
            if (join.Expose(key, e.TimeMs, x, DelayedFeedback.Calibrate(model.Predict(x)), DelayedFeedback.Calibrate(baseline.Predict())))
            {
                (featuresOf.TryGetValue((key, e.TimeMs), out var queue) ? queue : featuresOf[(key, e.TimeMs)] = new()).Enqueue((x.Indices.ToArray(), x.Values.ToArray()));
                model.Learn(x, false);
                baseline.Learn(false);
            }
        }

        join.Flush();
        var stats = join.Stats;
        output.WriteLine($"{name}: {stats.Exposures:N0} exposures ({stats.RepeatedExposures:N0} repeats), {stats.Positives:N0} positive and {stats.Negatives:N0} negative examples, {stats.UnmatchedOutcomes:N0} outcomes without an open exposure");
        output.WriteLine($"  FTRL, score served at the view:       {served}");
        output.WriteLine($"  constant rate, served at the view:    {constantServed}");
        output.WriteLine($"  FTRL, positives scored again when they arrive: {atLabel}");
        Assert.Equal(stats.Positives + stats.Negatives, served.Count);
        Assert.Equal(stats.Exposures - stats.RepeatedExposures, served.Count);
        return (served, constantServed, CompareWithScikitLearn(labelled, options.Bits));
    }

    /// <summary>
    /// The last 20 % of the examples by exposure time: FTRL's progressive scores there (each made before learning from
    /// that example) against scikit-learn's LogisticRegression trained offline on the first 80 % of the same hashed
    /// examples, and the constant rate. Needs Debian's python3-sklearn, which ./test.sh
    /// installs; run alone, the comparison is skipped with a note unless FRESHET_REQUIRE_SKLEARN is set.
    /// </summary>
    private Holdout CompareWithScikitLearn(List<Labelled> labelled, int bits)
    {
        const double trainFraction = 0.8;
        labelled = [.. labelled.OrderBy(e => e.ExposedAtMs)];
        int split = (int)(labelled.Count * trainFraction);
        var online = new ProgressiveValidation();
        var constant = new ProgressiveValidation();
        foreach (var example in labelled.Skip(split))
        {
            online.Add(example.Online, example.Positive);
            constant.Add(example.Constant, example.Positive);
        }

        output.WriteLine($"  last {labelled.Count - split:N0} exposures: FTRL online {online}");
        output.WriteLine($"  last {labelled.Count - split:N0} exposures: constant rate {constant}");
        string? sklearn = ScikitLearn.Run(labelled.Select(e => (e.Indices, e.Values, e.Positive)), bits, trainFraction);
        if (sklearn is null)
        {
            output.WriteLine($"  scikit-learn: not run ({ScikitLearn.Missing})");
            Assert.True(Environment.GetEnvironmentVariable("FRESHET_REQUIRE_SKLEARN") is null, $"scikit-learn is required here: {ScikitLearn.Missing}");
            return new Holdout(online, constant, null);
        }

        using var figures = System.Text.Json.JsonDocument.Parse(sklearn);
        double logLoss = figures.RootElement.GetProperty("log_loss").GetDouble();
        double auc = figures.RootElement.GetProperty("auc").GetDouble();
        double ne = figures.RootElement.GetProperty("ne").GetDouble();
        output.WriteLine(FormattableString.Invariant($"  last {labelled.Count - split:N0} exposures: scikit-learn LogisticRegression trained offline on the first {split:N0}: log loss {logLoss:F4}, AUC {auc:F4}, NE {ne:F4}"));
        return new Holdout(online, constant, logLoss);
    }

    /// <summary>Quality on the last 20 % of exposures: FTRL online, the constant rate, scikit-learn's log loss (null when not run).</summary>
    private sealed record Holdout(ProgressiveValidation Online, ProgressiveValidation Constant, double? OfflineLogLoss);

    private sealed record Labelled(long ExposedAtMs, int[] Indices, float[] Values, bool Positive, double Online, double Constant);

    private readonly record struct ShopEvent(bool Exposure, string User, string Item, string Category, long TimeMs);
}
