using Freshet.Learning.Pipeline;
using Freshet.Testing.TestData;

namespace Freshet.Learning.Tests;

public sealed class ModelDefinitionLoaderTests
{
    [Fact]
    public void Load_TheSampleFile_GivesItsModels()
    {
        string path = SharedData.RepositoryFile("samples", "models.yaml");
        var set = ModelDefinitionLoader.Load(path);

        var clicks = Assert.Single(set.ClickModels);
        Assert.Equal("clicks", clicks.Name);
        Assert.Equal(["view"], clicks.ExposureEvents.ToArray());
        Assert.Equal(["click"], clicks.OutcomeEvents.ToArray());
        Assert.Equal(600_000, clicks.WindowMs);
        Assert.Equal([("user", "category")], clicks.Crosses.ToArray());
        Assert.Equal(new LiveFeature("item", "item", "item_views", 3_600_000), clicks.Live[0]);
        Assert.Equal(0.02, clicks.Ftrl.PriorRate);
        var recommender = Assert.Single(set.Recommenders);
        Assert.Equal(["view", "click", "cart", "purchase"], recommender.Events.ToArray());
        Assert.Equal(32, recommender.Factorization.Factors);
    }

    [Fact]
    public void Parse_EveryMistake_IsReportedAtOnceWithItsPlace()
    {
        const string yaml = """
            models:
              bad:
                kind: click
                exposure: [view]
                outcome: [view]
                window: soon
                ftrl: { alpha: -1, bitz: 3 }
              odd:
                kind: ranking
              worse:
                kind: recommender
                events: [view]
                factors: lots
            """;

        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse(yaml, "m.yaml"));
        var messages = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains(messages, m => m.StartsWith("m.yaml:3:5: model 'bad': 'key' is missing", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("model 'bad': event type 'view' is both an exposure and an outcome"));
        Assert.Contains(messages, m => m.StartsWith("m.yaml:6:13: model 'bad': 'window' must be a duration", StringComparison.Ordinal));
        Assert.Contains(messages, m => m.Contains("unknown key 'bitz' in 'ftrl'"));
        Assert.Contains(messages, m => m.Contains("FTRL alpha must be a positive number"));
        Assert.Contains(messages, m => m.Contains("model 'odd': unknown kind 'ranking'; use click or recommender"));
        Assert.Contains(messages, m => m.Contains("model 'worse': 'factors' must be a number"));
    }

    [Fact]
    public void Check_LiveFeaturesTheCatalogCannotServe_AreNamed()
    {
        var catalog = Freshet.Features.FeatureCatalog.Compile(Freshet.Features.FeatureDefinitionLoader.Parse("""
            entities: { item: item, user_category: [user, category] }
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
              item_recent_users: { entity: item, events: [view], aggregation: last_k, field: user, k: 3, windows: [1h] }
              user_category_views: { entity: user_category, events: [view], aggregation: count, windows: [1h] }
            """, "f.yaml"), new Freshet.Events.StringInterner(), new Freshet.Features.EntityKeySpace());
        var models = ModelDefinitionLoader.Parse("""
            models:
              m:
                kind: click
                exposure: [view]
                outcome: [click]
                key: [user, item]
                live:
                  - { entity: item, feature: item_views, window: 1h }
                  - { entity: item, feature: item_views, window: 1d }
                  - { entity: item, feature: item_recent_users, window: 1h }
                  - { entity: user_category, key: user, feature: user_category_views, window: 1h }
                  - { entity: shop, feature: shop_views, window: 1h }
            """, "m.yaml");

        var errors = ModelDefinitionLoader.Check(models, catalog, "m.yaml");
        Assert.Equal("m.yaml:9:9: model 'm': live feature 'item_views' has no window 1d; its windows: 1h", errors[0].ToString());
        var problems = errors.Select(p => p.Message).ToList();
        Assert.Equal(4, problems.Count);
        Assert.Contains(problems, p => p.Contains("has no window 1d; its windows: 1h"));
        Assert.Contains(problems, p => p.Contains("'item_recent_users' is last_k"));
        Assert.Contains(problems, p => p.Contains("'user_category' is keyed by 2 fields"));
        Assert.Contains(problems, p => p.Contains("unknown entity 'shop'"));
    }

    [Fact]
    public void Parse_Sample_IsAShareOfKeysAboveZeroAndAtMostOne()
    {
        const string yaml = """
            models:
              some:
                kind: click
                exposure: [view]
                outcome: [click]
                key: [user, item]
                window: 10m
                fields: [item]
                sample: 0.25
              none:
                kind: recommender
                events: [view]
                sample: 0
            """;

        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse(yaml, "m.yaml"));
        var problem = Assert.Single(error.Errors);
        Assert.StartsWith("m.yaml:13:13: model 'none': sample must be a share of keys above 0 and at most 1", problem.ToString(), StringComparison.Ordinal);
        var set = ModelDefinitionLoader.Parse(yaml[..^1] + "1", "m.yaml"); // The last line, sample: 0, becomes sample: 1.
        Assert.Equal(0.25, Assert.Single(set.ClickModels).Sample);
        Assert.Equal(1, Assert.Single(set.Recommenders).Sample);
        Assert.NotEqual(set.ClickModels[0].Fingerprint(), (set.ClickModels[0] with { Sample = 0.5 }).Fingerprint());
    }

    [Fact]
    public void Parse_RecommenderEvaluate_IsAShareAndPartOfTheFingerprint()
    {
        const string yaml = """
            models:
              recs:
                kind: recommender
                events: [view]
                evaluate: 1.5
            """;

        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse(yaml, "m.yaml"));
        Assert.StartsWith("m.yaml:5:15: model 'recs': evaluate must be a share of interactions from 0 to 1", Assert.Single(error.Errors).ToString(), StringComparison.Ordinal);
        var recommender = Assert.Single(ModelDefinitionLoader.Parse(yaml.Replace("1.5", "0.25", StringComparison.Ordinal), "m.yaml").Recommenders);
        Assert.Equal(0.25, recommender.Evaluate);
        var auto = Assert.Single(ModelDefinitionLoader.Parse("models:\n  recs: { kind: recommender, events: [view] }\n", "m.yaml").Recommenders);
        Assert.Null(auto.Evaluate);
        Assert.Equal(0.01, auto.EvaluateShare(500)); // One in a hundred, or 10 / items in a large catalogue.
        Assert.Equal(0.0002, auto.EvaluateShare(50_000));
        Assert.NotEqual(recommender.Fingerprint(), (recommender with { Evaluate = 0.5 }).Fingerprint());
    }

    [Fact]
    public void Parse_BrokenYaml_SaysWhere()
    {
        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse("models:\n  a: [b\n", "m.yaml"));
        Assert.StartsWith("m.yaml:", error.Message);
        Assert.Contains("YAML syntax error", error.Message); // The features file's wording: both files share one reader.
    }

    /// <summary>
    /// A key given twice is reported at the second one, naming both lines, and the rest of the file is still checked
    /// (YamlDotNet alone stops at the first duplicate); a model declared twice says so.
    /// </summary>
    [Fact]
    public void Parse_DuplicateKeys_AreReportedAtTheSecondWithBothLines()
    {
        const string yaml = """
            models:
              clicks:
                kind: click
                exposure: [view]
                outcome: [click]
                key: [user, item]
                window: 10m
                window: 1h
              clicks:
                kind: recommender
                events: [view]
              later:
                kind: recommender
                events: [view]
                factors: lots
            """;

        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse(yaml, "m.yaml"));
        var messages = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Equal(
            [
                "m.yaml:8:5: model 'clicks': key 'window' appears twice (lines 7 and 8); keep one",
                "m.yaml:9:3: model 'clicks': declared on both line 2 and line 9; model names must be unique, so rename or remove one",
                "m.yaml:15:14: model 'later': 'factors' must be a number",
            ],
            messages);
    }

    [Fact]
    public void Parse_MisspeltKeyOrKind_SuggestsTheMeantOne()
    {
        const string yaml = """
            models:
              clicks:
                kind: click
                exposure: [view]
                outcom: [click]
                key: [user, item]
                ftrl: { alpah: 0.2 }
              recs:
                kind: recomender
            """;

        var error = Assert.Throws<ModelDefinitionException>(() => ModelDefinitionLoader.Parse(yaml, "m.yaml"));
        var messages = error.Errors.Select(e => e.ToString()).ToList();
        Assert.Contains("m.yaml:5:5: model 'clicks': unknown key 'outcom' in a click model; expected one of: kind, exposure, outcome, key, window, fields, crosses, live, ftrl, max_pending, sample (did you mean 'outcome'?)", messages);
        Assert.Contains(messages, m => m.StartsWith("m.yaml:7:13: model 'clicks': unknown key 'alpah' in 'ftrl'", StringComparison.Ordinal) && m.EndsWith("(did you mean 'alpha'?)", StringComparison.Ordinal));
        Assert.Contains("m.yaml:9:11: model 'recs': unknown kind 'recomender'; use click or recommender (did you mean 'recommender'?)", messages);
    }
}
