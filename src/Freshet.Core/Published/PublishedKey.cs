using Freshet.Seams;

namespace Freshet.Published;

/// <summary>
/// One entity key's tiles as its partition's owner publishes them (the full current state, never an increment) and a
/// serving process reads them back: per base feature (by state fingerprint) every tile the owner holds for the key,
/// each state in <see cref="Aggregation.Aggregator.Write"/>'s self-contained form. States that hold strings (last,
/// last_k, top_k) hold the owner's string ids; <see cref="Strings"/> maps every id they hold to its string, so a
/// reader finishes them with <see cref="Aggregation.FinishContext.Published"/>.
/// </summary>
public sealed record PublishedKey(
    string Entity,
    IReadOnlyList<string> Key,
    int Partition,
    long Epoch,
    PartitionClock Clock,
    IReadOnlyList<PublishedFeatureTiles> Features,
    IReadOnlyDictionary<int, string> Strings);

/// <summary>The tiles of one base feature of one key: identified by the feature's state fingerprint (a renamed feature keeps its tiles).</summary>
public sealed record PublishedFeatureTiles(string Fingerprint, IReadOnlyList<PublishedTile> Tiles);

/// <summary>One tile: its ladder level, its full bucket id at that level's resolution, and its state bytes.</summary>
public readonly record struct PublishedTile(int Level, long Bucket, ReadOnlyMemory<byte> State);
