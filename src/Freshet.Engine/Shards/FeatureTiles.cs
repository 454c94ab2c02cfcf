using Freshet.Aggregation;
using Freshet.Engine.Tiles;
using Freshet.Features;

namespace Freshet.Engine.Shards;

/// <summary>The state of one feature in one shard: its tile table, its aggregator and its open tiles per level.</summary>
internal sealed class FeatureTiles
{
    public FeatureTiles(CompiledFeature feature, Aggregator aggregator)
    {
        Feature = feature;
        Aggregator = aggregator;
        Table = new TileTable(aggregator.Width);
        Open = new OpenTileIndex[feature.Ladder.Count];
        for (int i = 0; i < Open.Length; i++)
        {
            Open[i] = new OpenTileIndex();
        }
    }

    /// <summary>The definition in force (replaced on a catalog swap when the state fingerprint is unchanged).</summary>
    public CompiledFeature Feature { get; set; }

    public Aggregator Aggregator { get; }

    public TileTable Table { get; }

    public OpenTileIndex[] Open { get; }

    /// <summary>Events skipped because the field was absent or of a kind the aggregation does not take.</summary>
    public long SkippedField;

    /// <summary>Next slot the expiry sweep looks at.</summary>
    public int SweepCursor;
}
