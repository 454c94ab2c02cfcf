using System.Collections.Immutable;
using Freshet.Time;

namespace Freshet.Windows;

/// <summary>
/// A feature's tile resolutions, finest first, with how long tiles at each are kept. Answers which resolution
/// serves a point in time: the finest one whose bucket containing that time has not expired.
/// </summary>
public sealed class TileLadder
{
    /// <summary>Bucket ids are stored modulo 2^29 inside tile keys; the loader caps keep/resolution at 2^27.</summary>
    public const int BucketBits = 29;

    private readonly long[] _resolutionMs;
    private readonly long[] _keepMs;

    public TileLadder(ImmutableArray<TileLevel> levels)
    {
        if (levels.IsDefaultOrEmpty || levels.Length > 7)
        {
            throw new ArgumentException("a tile ladder has 1 to 7 levels", nameof(levels));
        }

        Levels = levels;
        _resolutionMs = levels.Select(l => l.ResolutionMs).ToArray();
        _keepMs = levels.Select(l => l.KeepMs).ToArray();
    }

    public ImmutableArray<TileLevel> Levels { get; }

    public int Count => _resolutionMs.Length;

    public long FinestMs => _resolutionMs[0];

    /// <summary>How far back the coarsest tiles reach.</summary>
    public long RetentionMs => _keepMs[^1];

    public long ResolutionMs(int level) => _resolutionMs[level];

    public long KeepMs(int level) => _keepMs[level];

    /// <summary>Index of the level whose resolution is exactly <paramref name="resolutionMs"/>, or -1.</summary>
    public int LevelOf(long resolutionMs) => Array.IndexOf(_resolutionMs, resolutionMs);

    /// <summary>True when the tile of <paramref name="level"/> starting at <paramref name="bucketStartMs"/> is still kept at <paramref name="nowMs"/>.</summary>
    public bool IsRetained(int level, long bucketStartMs, long nowMs) =>
        bucketStartMs + _resolutionMs[level] > nowMs - _keepMs[level];

    /// <summary>The finest level that still keeps the bucket containing <paramref name="timeMs"/>, or -1 if none does.</summary>
    public int LevelFor(long timeMs, long nowMs)
    {
        for (int level = 0; level < _resolutionMs.Length; level++)
        {
            if (IsRetained(level, TimeMath.FloorTo(timeMs, _resolutionMs[level]), nowMs))
            {
                return level;
            }
        }

        return -1;
    }

    public override string ToString() =>
        string.Join(", ", Levels.Select(l => $"{Duration.Format(l.ResolutionMs)} kept {Duration.Format(l.KeepMs)}"));
}
