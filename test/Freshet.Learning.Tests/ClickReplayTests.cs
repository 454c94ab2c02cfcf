using System.Globalization;
using Freshet.Learning.Features;
using Freshet.Learning.Ftrl;
using Freshet.Learning.Labels;
using Freshet.Learning.Metrics;
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
    /// Two hours of Taobao: 66 k users with 1.7 events each, so ids carry almost no signal yet. FTRL ranks better than
    /// the constant rate but only matches its log loss; the live features of user and item (issue 6, part 2) are
    /// what this replay lacks.
    /// </summary>
    [DataFact("taobao_userbehavior")]
    public void Taobao_ViewsLabelledByCartFavBuy_FtrlRanksBetterThanTheConstantRate()
    {
        // user_id,item_id,category_id,behavior_type,timestamp (seconds)
        var events = File.ReadLines(TestData.PathOf("taobao_userbehavior/UserBehavior.csv"))
            .Select(line => line.Split(','))
            .Select(f => new ShopEvent(f[3] == "pv", f[0], f[1], f[2], long.Parse(f[4], CultureInfo.InvariantCulture) * 1000));
        var (model, constant) = Replay(events, "Taobao");
        Assert.True(model.Auc > constant.Auc + 0.05, $"FTRL {model}; constant {constant}");
        Assert.True(model.LogLoss < constant.LogLoss * 1.01, $"FTRL {model}; constant {constant}");
    }

    [DataFact("rees46_ecommerce_sample")]
    public void Rees46_ViewsLabelledByCartOrPurchase_FtrlBeatsTheConstantRate()
    {
        // event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session; the last line is cut off.
        var lines = File.ReadLines(TestData.PathOf("rees46_ecommerce_sample/2019-Oct.csv")).Skip(1).ToList();
        var events = lines.Take(lines.Count - 1)
            .Select(line => line.Split(','))
            .Select(f => new ShopEvent(f[1] == "view", f[7], f[2], f[3],
                DateTimeOffset.ParseExact(f[0], "yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).ToUnixTimeMilliseconds()));
        var (model, constant) = Replay(events, "REES46");
        Assert.True(model.NormalizedEntropy < 0.95, $"FTRL {model}");
        Assert.True(model.LogLoss < constant.LogLoss, $"FTRL {model}; constant {constant}");
        Assert.True(model.Auc > constant.Auc, $"FTRL {model}; constant {constant}");
    }

    /// <summary>Replays the events; returns the progressive quality of FTRL and of the constant rate.</summary>
    private (ProgressiveValidation Model, ProgressiveValidation Constant) Replay(IEnumerable<ShopEvent> events, string name)
    {
        // Outcomes are rare (0.2 % of views on Taobao, 2 % on REES46): the bias starts at a 1 % rate instead of 50 %.
        var options = new FtrlOptions { Alpha = 0.2, Beta = 1, L1 = 1, L2 = 10, PriorRate = 0.01, Bits = 20 };
        var model = new FtrlModel(options);
        var baseline = new RunningRate();
        var hasher = new FeatureHasher(options.Bits);
        var modelQuality = new ProgressiveValidation();
        var servedQuality = new ProgressiveValidation();
        var baselineQuality = new ProgressiveValidation();
        // A 10-minute attribution window: positives are emitted when they happen and negatives only when it closes,
        // so the first window of a replay sees positives alone; a short window keeps that start short.
        var join = new LabelJoin(windowMs: 600_000, maxPending: 1_000_000, example =>
        {
            modelQuality.Add(model.Learn(example.Features, example.Positive), example.Positive);
            servedQuality.Add(example.ServedScore, example.Positive);
            baselineQuality.Add(baseline.Learn(example.Positive), example.Positive);
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
            join.Expose(key, e.TimeMs, x, model.Predict(x));
        }

        join.Flush();
        var stats = join.Stats;
        output.WriteLine($"{name}: {stats.Exposures:N0} exposures ({stats.RepeatedExposures:N0} repeats), {stats.Positives:N0} positive and {stats.Negatives:N0} negative examples, {stats.UnmatchedOutcomes:N0} outcomes without an open exposure");
        output.WriteLine($"  FTRL, scored before learning: {modelQuality}");
        output.WriteLine($"  FTRL, score served at view:   {servedQuality}");
        output.WriteLine($"  constant rate:                {baselineQuality}");
        Assert.Equal(stats.Positives + stats.Negatives, modelQuality.Count);
        Assert.Equal(stats.Exposures - stats.RepeatedExposures, modelQuality.Count);
        return (modelQuality, baselineQuality);
    }

    private readonly record struct ShopEvent(bool Exposure, string User, string Item, string Category, long TimeMs);
}
