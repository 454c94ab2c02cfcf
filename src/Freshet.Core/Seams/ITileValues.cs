using Freshet.Published;

namespace Freshet.Seams;

/// <summary>
/// The published tile values seam (scale-out): the owner of a partition publishes the full current tiles of every key
/// it changed, fenced by its lease epoch, and serving processes read a key's tiles in one round trip. Values, not
/// increments: republishing after a failover is idempotent. Redis: one hash per entity key (docs/SCALE-OUT.md).
/// </summary>
public interface ITileValues
{
    /// <summary>Partitions there are (fixed).</summary>
    int Partitions { get; }

    /// <summary>
    /// Replaces the published tiles of each of <paramref name="keys"/> (all of partition <paramref name="partition"/>)
    /// with the ones given, then publishes <paramref name="clock"/> as the partition's clock. A key whose stored epoch is
    /// newer than <paramref name="epoch"/> is left as it is (a newer owner wrote it) and counted in the answer: any
    /// refusal means this process lost the partition and must stop applying it.
    /// </summary>
    Task<int> PublishAsync(int partition, long epoch, IReadOnlyList<PublishedKey> keys, PartitionClock clock, CancellationToken cancellationToken = default);

    /// <summary>The published tiles of <paramref name="entity"/> = <paramref name="key"/>, or null when nothing was published for it.</summary>
    PublishedKey? Read(string entity, IReadOnlyList<string> key);

    /// <summary>The many keys of one entity (a ranking request's candidates) in one round trip per node; null where none.</summary>
    void ReadMany(string entity, IReadOnlyList<IReadOnlyList<string>> keys, Span<PublishedKey?> results);

    /// <summary>The clock partition <paramref name="partition"/>'s owner published last, or null before its first publish.</summary>
    PartitionClock? ReadClock(int partition);
}

/// <summary>
/// A partition owner's clock as of a publish: now, the closure watermark (tiles ending by it are complete), whether a
/// roll-up was half done (reads then use complete tiles only), the log position applied through and the owner's epoch.
/// </summary>
public readonly record struct PartitionClock(long NowMs, long ClosedThroughMs, bool RollingUp, LogPosition Position, long Epoch);
