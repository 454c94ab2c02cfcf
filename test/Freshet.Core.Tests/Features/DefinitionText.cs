using Freshet.Features;

namespace Freshet.Tests.Features;

/// <summary>Helpers to parse definitions written inline in tests and pick out their errors.</summary>
internal static class DefinitionText
{
    public const string Source = "features.yaml";

    /// <summary>
    /// Six lines with three entities and one valid feature, so that text appended after it starts on line 7 and
    /// tests can state the line numbers they expect. <c>item_views</c> has windows 1h, 24h and 7d.
    /// </summary>
    public const string Head = """
        entities:
          user: user
          item: item
          site: []
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h, 7d] }
        """;

    /// <summary>Parses <see cref="Head"/> followed by <paramref name="features"/> (lines from 7 on).</summary>
    public static FeatureSet Parse(string features) => FeatureDefinitionLoader.Parse(Head + "\n" + features, Source);

    /// <summary>The errors of a whole file, which must be invalid.</summary>
    public static IReadOnlyList<DefinitionError> ErrorsOfFile(string yaml)
    {
        bool ok = FeatureDefinitionLoader.TryParse(yaml, Source, out var set, out var errors);
        Assert.False(ok, "expected the definitions to be rejected");
        Assert.Null(set);
        Assert.NotEmpty(errors);
        return errors;
    }

    /// <summary>The errors of <see cref="Head"/> followed by <paramref name="features"/>.</summary>
    public static IReadOnlyList<DefinitionError> Errors(string features) => ErrorsOfFile(Head + "\n" + features);

    /// <summary>The one error of <see cref="Head"/> followed by <paramref name="features"/>.</summary>
    public static DefinitionError SingleError(string features) => SingleOf(Errors(features));

    public static DefinitionError SingleErrorOfFile(string yaml) => SingleOf(ErrorsOfFile(yaml));

    /// <summary>Asserts where an error is, which feature it names, and that its message says <paramref name="phrases"/>.</summary>
    public static void AssertError(DefinitionError error, int line, string? feature, params string[] phrases)
    {
        Assert.Equal(Source, error.File);
        Assert.True(line == error.Line, $"expected line {line}, got {error}");
        Assert.Equal(feature, error.Feature);
        foreach (string phrase in phrases)
        {
            Assert.True(error.Message.Contains(phrase, StringComparison.Ordinal), $"expected '{phrase}' in: {error}");
        }
    }

    private static DefinitionError SingleOf(IReadOnlyList<DefinitionError> errors)
    {
        Assert.True(errors.Count == 1, $"expected one error, got {errors.Count}:\n{string.Join("\n", errors)}");
        return errors[0];
    }
}
