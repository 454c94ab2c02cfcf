using Freshet.Features;
using Freshet.Windows;
using static Freshet.Tests.Features.DefinitionText;

namespace Freshet.Tests.Features;

public class FeatureDefinitionLoaderTests
{
    private const long Minute = 60_000;
    private const long Hour = 60 * Minute;
    private const long Day = 24 * Hour;

    [Fact]
    public void Load_SampleFile_LoadsEveryFeature()
    {
        var set = FeatureDefinitionLoader.Load(SamplePath());

        Assert.Equal("2026-11-21.1", set.DeclaredVersion);
        Assert.Equal(20, set.Features.Length);
        Assert.Equal(["user", "item", "user_category", "site"], set.Entities.Select(e => e.Name));
        Assert.Equal(["user", "category"], set.Entities.Single(e => e.Name == "user_category").KeyFields.ToArray());
        Assert.Empty(set.Entities.Single(e => e.Name == "site").KeyFields);

        // Every aggregation appears at least once: the sample is the format's worked example.
        Assert.Equal(Enum.GetValues<AggregationKind>().Order(), set.Features.Select(f => f.Aggregation).Distinct().Order());

        var ctr = set.Features.Single(f => f.Name == "item_ctr");
        Assert.Equal(("item_clicks", "item_views", 1.0, 20.0), (ctr.Numerator, ctr.Denominator, ctr.PriorAlpha, ctr.PriorBeta));
        var trend = set.Features.Single(f => f.Name == "item_views_trend");
        Assert.Equal((Hour, Day, 1.0), (trend.ShortWindowMs, trend.LongWindowMs, trend.Smoothing));
        Assert.Empty(trend.WindowsMs);
        var queries = set.Features.Single(f => f.Name == "site_top_queries");
        Assert.Equal([new TileLevel(10_000, 90 * Minute), new TileLevel(Hour, 2 * Day)], queries.Tiles.ToArray());
        Assert.Equal(set.Settings.Tiles.ToArray(), set.Features.Single(f => f.Name == "item_views").Tiles.ToArray());
    }

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundNamingThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), "freshet-no-such-dir", "features.yaml");

        var e = Assert.Throws<FileNotFoundException>(() => FeatureDefinitionLoader.Load(path));

        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Equal(path, e.FileName);
    }

    [Fact]
    public void TryParse_ValidText_ReturnsModelWithDefaults()
    {
        string yaml = Head + "\n" + """
              top: { entity: site, events: [view], aggregation: top_k, field: item, k: 10, windows: [24h, 1h] }
              ctr: { entity: item, aggregation: ratio, numerator: item_views, denominator: item_views, windows: [1h] }
              hot: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h }
            """;

        Assert.True(FeatureDefinitionLoader.TryParse(yaml, Source, out var set, out var errors), string.Join("\n", errors));

        Assert.Empty(errors);
        Assert.Null(set.DeclaredVersion);
        Assert.Equal(new CatalogSettings().Tiles.ToArray(), set.Settings.Tiles.ToArray());
        Assert.Equal(10 * Minute, set.Settings.AllowedLatenessMs);
        var top = set.Features.Single(f => f.Name == "top");
        Assert.Equal(64, top.Capacity);
        Assert.Equal([Hour, Day], top.WindowsMs.ToArray());
        Assert.Equal(7, top.Line);
        var ctr = set.Features.Single(f => f.Name == "ctr");
        Assert.Equal((0.0, 0.0), (ctr.PriorAlpha, ctr.PriorBeta));
        Assert.Equal(1.0, set.Features.Single(f => f.Name == "hot").Smoothing);
    }

    [Fact]
    public void Parse_InvalidText_ThrowsWithEveryErrorInTheMessage()
    {
        var e = Assert.Throws<DefinitionException>(() => DefinitionText.Parse("""
              a: { entity: item, events: [view], aggregation: count, windows: [1x] }
              b: { entity: item, events: [view], aggregation: count, windows: [2y] }
            """));

        Assert.Equal(2, e.Errors.Count);
        Assert.StartsWith("2 errors in feature definitions:", e.Message, StringComparison.Ordinal);
        Assert.Contains("features.yaml:7:", e.Message, StringComparison.Ordinal);
        Assert.Contains("features.yaml:8:", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TryParse_SeveralProblems_ReportsThemAllInFileOrder()
    {
        var errors = Errors("""
              item_ctr: { entity: item, aggregation: ratio, numerator: item_clicks, denominator: item_views, windows: [1h] }
              user_spend:
                entity: user
                events: [purchase]
                aggregation: sum
                windows: [24h]
              Bad-Name: { entity: item, events: [view], aggregation: count, windows: [1h] }
              item_buyers: { entity: item, events: [purchase], aggregation: distinct, field: user, windows: [90d] }
            """);

        Assert.Equal(4, errors.Count);
        AssertError(errors[0], 7, "item_ctr", "numerator 'item_clicks' is not a declared feature");
        AssertError(errors[1], 8, "user_spend", "missing 'field'", "sum adds up");
        AssertError(errors[2], 13, "Bad-Name", "not valid", "(try 'bad_name')");
        AssertError(errors[3], 14, "item_buyers", "window 90d is longer than the 35d");
    }

    [Fact]
    public void DefinitionError_ToString_PrintsFileLineColumnFeatureAndRule()
    {
        var errors = Errors("""
              item_ctr:
                entity: item
                aggregation: ratio
                numerator: item_views
                denominator: item_views
                windows: [1h, 30d]
            """);

        Assert.Equal(
            "features.yaml:12:19: feature 'item_ctr': window 30d is not a window of numerator 'item_views' (it has 1h, 24h, 7d)",
            errors[0].ToString());
    }

    [Fact]
    public void Parse_YamlSyntaxError_ReportsItsLine()
    {
        var error = SingleError("""
              item_clicks:
                entity: item
                aggregation: count: 1
            """);

        AssertError(error, 9, null, "YAML syntax error");
    }

    [Fact]
    public void Parse_UnclosedFlowList_PointsAtTheOpeningBracket()
    {
        var error = SingleError("""
              item_clicks: { entity: item, events: [click, aggregation: count, windows: [1h] }
              other: { entity: item }
            """);

        AssertError(error, 7, null, "YAML syntax error");
    }

    [Fact]
    public void Parse_TabIndentation_SaysYamlIndentsWithSpaces()
    {
        var error = SingleErrorOfFile("entities:\n  user: user\nfeatures:\n  a:\n\tentity: user\n");

        AssertError(error, 5, null, "YAML syntax error", "spaces only");
    }

    [Fact]
    public void Parse_DuplicateFeature_NamesBothLinesAndKeepsCheckingTheRest()
    {
        var errors = Errors("""
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
              item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h], k: 3 }
            """);

        Assert.Equal(2, errors.Count);
        AssertError(errors[0], 7, "item_views", "declared on both line 6 and line 7");
        AssertError(errors[1], 8, "item_clicks", "'k' applies only to last_k and top_k, not to count");
    }

    [Fact]
    public void Parse_DuplicateKeyInFeature_NamesFeatureAndBothLines()
    {
        var error = SingleError("""
              item_clicks:
                entity: item
                events: [click]
                aggregation: count
                windows: [1h]
                windows: [24h]
            """);

        AssertError(error, 12, "item_clicks", "key 'windows' appears twice (lines 11 and 12)");
    }

    [Fact]
    public void Parse_UnknownTopLevelKey_SuggestsTheClosestOne()
    {
        var error = SingleErrorOfFile(Head + "\nsetings: { clock: wall }\n");

        AssertError(error, 7, null, "unknown key 'setings' at the top level", "expected one of: version, settings, entities, features", "(did you mean 'settings'?)");
    }

    [Fact]
    public void Parse_NoFeaturesOrEntities_ReportsBothMissing()
    {
        var errors = ErrorsOfFile("version: 3\n");

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.Line == 1 && e.Message.StartsWith("missing 'features'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Line == 1 && e.Message.StartsWith("missing 'entities'", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_EmptyFeatures_SaysDeclareAtLeastOne()
    {
        var error = SingleErrorOfFile("entities: { user: user }\nfeatures: {}\n");

        AssertError(error, 2, null, "'features' is empty");
    }

    [Fact]
    public void Parse_FeaturesAsList_SaysItMustBeAMap()
    {
        var error = SingleErrorOfFile("entities: { user: user }\nfeatures:\n  - name: a\n");

        AssertError(error, 3, null, "must be a map from feature name to definition", "found a list");
    }

    [Fact]
    public void Parse_EmptyText_SaysTheFileIsEmpty()
    {
        var error = SingleErrorOfFile("# nothing yet\n");

        AssertError(error, 1, null, "the file is empty");
    }

    /// <summary>Finds samples/features.yaml by walking up to the directory that holds Freshet.slnx.</summary>
    private static string SamplePath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Freshet.slnx")))
            {
                return Path.Combine(dir.FullName, "samples", "features.yaml");
            }
        }

        throw new InvalidOperationException($"no Freshet.slnx above {AppContext.BaseDirectory}");
    }
}
