using Freshet.Features;
using Freshet.Windows;
using static Freshet.Tests.Features.DefinitionText;

namespace Freshet.Tests.Features;

public class FeatureDefinitionLoaderSettingsTests
{
    [Fact]
    public void Parse_Settings_AreReadIntoTheModel()
    {
        var set = FeatureDefinitionLoader.Parse(WithSettings("""
              clock: wall
              allowed_lateness: 0
              max_future: 30s
              tiles:
                - { resolution: 1m, keep: 1h }
                - { resolution: 1h, keep: 2d }
            """), Source);

        Assert.Equal(ClockMode.Wall, set.Settings.Clock);
        Assert.Equal(0, set.Settings.AllowedLatenessMs);
        Assert.Equal(30_000, set.Settings.MaxFutureMs);
        Assert.Equal([new TileLevel(60_000, 3_600_000), new TileLevel(3_600_000, 2 * 86_400_000)], set.Settings.Tiles.ToArray());
    }

    [Theory]
    [InlineData("0s")]
    [InlineData("0")]
    public void Parse_ZeroAllowedLateness_IsAccepted(string lateness)
    {
        var set = FeatureDefinitionLoader.Parse(WithSettings($"  allowed_lateness: {lateness}"), Source);

        Assert.Equal(0, set.Settings.AllowedLatenessMs);
    }

    [Fact]
    public void Parse_UnknownClock_ListsTheChoicesAndSuggestsOne()
    {
        var error = SingleErrorOfFile(WithSettings("  clock: walltime"));

        AssertError(error, 2, null, "clock 'walltime' is not known", "expected event_time", "or wall");
    }

    [Fact]
    public void Parse_DurationWithoutUnit_SaysWhatADurationLooksLike()
    {
        var error = SingleErrorOfFile(WithSettings("  max_future: 300"));

        AssertError(error, 2, null, "'max_future' '300' is not a duration", "such as 30s, 5m", "write 300s or 300m");
    }

    [Fact]
    public void Parse_UnknownSettingsKey_SuggestsTheClosestOne()
    {
        var error = SingleErrorOfFile(WithSettings("  allowed_latness: 5m"));

        AssertError(error, 2, null, "unknown key 'allowed_latness' in 'settings'", "(did you mean 'allowed_lateness'?)");
    }

    [Fact]
    public void Parse_SevenTileLevels_SaysOneToSix()
    {
        var error = SingleErrorOfFile(WithSettings("  tiles: [{ resolution: 1s, keep: 1h }, { resolution: 2s, keep: 1h }, { resolution: 4s, keep: 1h }, { resolution: 8s, keep: 1h }, { resolution: 16s, keep: 1h }, { resolution: 32s, keep: 1h }, { resolution: 64s, keep: 2h }]"));

        AssertError(error, 2, null, "1 to 6 levels", "found 7 levels");
    }

    [Fact]
    public void Parse_TileResolutionsNotAscending_SaysFinestFirst()
    {
        var error = SingleErrorOfFile(WithSettings("""
              tiles:
                - { resolution: 1h, keep: 8d }
                - { resolution: 1m, keep: 3h }
            """));

        AssertError(error, 4, null, "tile level 2: resolution 1m must be coarser than level 1's 1h", "finest first");
    }

    [Fact]
    public void Parse_TileResolutionNotAMultiple_SaysRolledUpFromWholeTiles()
    {
        var error = SingleErrorOfFile(WithSettings("""
              tiles:
                - { resolution: 7m, keep: 7h }
                - { resolution: 1h, keep: 8d }
            """));

        AssertError(error, 4, null, "resolution 1h is not a whole multiple of level 1's 7m");
    }

    [Fact]
    public void Parse_KeepShorterThanResolution_IsReported()
    {
        var error = SingleErrorOfFile(WithSettings("  tiles: [{ resolution: 1h, keep: 30m }]"));

        AssertError(error, 2, null, "tile level 1: keep 30m is shorter than its resolution 1h");
    }

    [Fact]
    public void Parse_KeepNotAMultipleOfResolution_SuggestsNeighbours()
    {
        var error = SingleErrorOfFile(WithSettings("  tiles: [{ resolution: 1h, keep: 90m }]"));

        AssertError(error, 2, null, "keep 90m is not a whole number of 1h tiles; use 1h or 2h");
    }

    [Fact]
    public void Parse_FineTilesDroppedBeforeCoarseBucketCloses_ExplainsRollUpAndLateness()
    {
        var error = SingleErrorOfFile(WithSettings("""
              allowed_lateness: 10m
              tiles:
                - { resolution: 1m, keep: 1h }
                - { resolution: 1h, keep: 8d }
            """));

        AssertError(error, 4, null, "tile level 1: keep 1h is too short", "must outlive the 1h tile they roll up into plus the 10m allowed lateness", "at least 1h10m");
    }

    [Fact]
    public void Parse_TooManyTilesPerLevel_SaysTileIdsWrap()
    {
        var error = SingleErrorOfFile(WithSettings("  tiles: [{ resolution: 1ms, keep: 2d }]"));

        AssertError(error, 2, null, "172,800,000 tiles per key", "tile ids wrap");
    }

    [Fact]
    public void Parse_InvalidDefaultTiles_DoesNotAlsoBlameFeatureWindows()
    {
        var errors = ErrorsOfFile(WithSettings("  tiles: [{ resolution: 7m, keep: 3h }]"));

        Assert.Single(errors);
        AssertError(errors[0], 2, null, "not a whole number of 7m tiles");
    }

    [Fact]
    public void Parse_InvalidEntityName_SuggestsAValidOne()
    {
        var error = SingleErrorOfFile("entities:\n  User-Category: [user, category]\nfeatures:\n  a: { entity: User-Category, events: [view], aggregation: count, windows: [1h] }\n");

        AssertError(error, 2, null, "entity name 'User-Category' is not valid", "(try 'user_category')");
    }

    [Fact]
    public void Parse_ReservedKeyField_IsReported()
    {
        var error = SingleErrorOfFile("entities:\n  hour: [user, time]\nfeatures:\n  a: { entity: hour, events: [view], aggregation: count, windows: [1h] }\n");

        AssertError(error, 2, null, "key field 'time' is a reserved event key");
    }

    [Fact]
    public void Parse_EntityWithoutKey_ExplainsTheThreeForms()
    {
        var error = SingleErrorOfFile("entities:\n  site:\nfeatures:\n  a: { entity: site, events: [view], aggregation: count, windows: [1h] }\n");

        AssertError(error, 2, null, "entity 'site' has no key", "[] for one global key");
    }

    [Fact]
    public void Parse_EntityWithFiveKeyFields_SaysAtMostFour()
    {
        var error = SingleErrorOfFile("entities:\n  e: [a, b, c, d, f]\nfeatures:\n  x: { entity: e, events: [view], aggregation: count, windows: [1h] }\n");

        AssertError(error, 2, null, "5 key fields; at most 4");
    }

    [Fact]
    public void Parse_DuplicateEntity_NamesBothLines()
    {
        var error = SingleErrorOfFile("entities:\n  user: user\n  user: user_id\nfeatures:\n  a: { entity: user, events: [view], aggregation: count, windows: [1h] }\n");

        AssertError(error, 3, null, "entity 'user' is declared twice (lines 2 and 3)");
    }

    /// <summary>A file whose settings body starts on line 2, followed by one valid feature.</summary>
    private static string WithSettings(string body) =>
        "settings:\n" + body + "\nentities: { item: item }\nfeatures:\n  a: { entity: item, events: [view], aggregation: count, windows: [1h] }\n";
}
