namespace Freshet.Testing.TestData;

/// <summary>
/// The models tests run over the shop stream (views and clicks of users on items in categories): one copy of the
/// YAML the server, restart and command tests share, so a change to the models file format is made once.
/// </summary>
public static class ShopModels
{
    /// <summary>
    /// <c>clicks</c>, a click model of views followed by clicks of the same (user, item) within 10 minutes, over hashed
    /// fields and a user × category cross; and <c>for_you</c>, a recommender over views and clicks with 8 factors.
    /// </summary>
    public const string Yaml = """
        models:
          clicks:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 10m
            fields: [user, item, category]
            crosses: [[user, category]]
            ftrl: { alpha: 0.3, bits: 18, prior_rate: 0.05 }
          for_you:
            kind: recommender
            events: [view, click]
            factors: 8
        """;

    /// <summary>
    /// The same models with <c>clicks</c> reading the item's views over the last hour live instead of the cross (the
    /// features file must declare <c>item_views</c> with a 1h window), and <c>for_you</c> scoring every interaction
    /// before learning it.
    /// </summary>
    public const string WithLiveFeaturesYaml = """
        models:
          clicks:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 10m
            fields: [user, item, category]
            live:
              - { entity: item, feature: item_views, window: 1h }
            ftrl: { alpha: 0.3, bits: 18, prior_rate: 0.05 }
          for_you:
            kind: recommender
            events: [view, click]
            factors: 8
            evaluate: 1
        """;
}
