using Freshet.Time;

namespace Freshet.Windows;

/// <summary>
/// The effective interval a window query covers, after edge rounding (see <see cref="WindowPlan.TryPlan"/>).
/// </summary>
public readonly record struct WindowSpan(long FromMs, long ToMs)
{
    public long LengthMs => ToMs - FromMs;
}

/// <summary>
/// How a window <c>[t − W, t)</c> is answered from tiles. The documented edge rules (also in docs/WINDOWS.md):
/// <list type="bullet">
/// <item>The start <c>t − W</c> is rounded <b>down</b> to the finest resolution still kept at that age, so a window
/// may include up to one extra bucket at its old edge (a "sawtooth" window, as Chronon calls it).</item>
/// <item>The end is rounded <b>up</b> to the end of the finest kept bucket containing <c>t</c>. For a live query
/// (t = now) this includes everything ingested so far; for an as-of query in the past it can include events up
/// to one bucket after <c>t</c>.</item>
/// </list>
/// The interval between is covered with the fewest tiles: the coarsest tile that is aligned, fits, is complete
/// (every finer tile under it has closed and rolled up) and is retained. The answer reports the effective
/// interval, so callers always know exactly what was summed.
/// </summary>
public static class WindowPlan
{
    /// <summary>
    /// Computes the effective interval of window <paramref name="windowMs"/> at time <paramref name="atMs"/>;
    /// false when its start is older than every level keeps.
    /// </summary>
    public static bool TryPlan(TileLadder ladder, long windowMs, long atMs, long nowMs, out WindowSpan span)
    {
        long start = atMs - windowMs;
        int startLevel = ladder.LevelFor(start, nowMs);
        int endLevel = ladder.LevelFor(atMs, nowMs);
        if (startLevel < 0 || endLevel < 0)
        {
            span = default;
            return false;
        }

        long from = TimeMath.FloorTo(start, ladder.ResolutionMs(startLevel));
        long to = TimeMath.FloorTo(atMs, ladder.ResolutionMs(endLevel)) + ladder.ResolutionMs(endLevel);
        span = new WindowSpan(from, to);
        return true;
    }
}

/// <summary>
/// Consecutive tiles of one level that a window merges: <see cref="Count"/> tiles from <see cref="StartMs"/>, covering
/// <c>[StartMs, EndMs)</c>. A <i>partial</i> run is one coarse tile that is still open but already holds every finer
/// tile closed so far (closing a tile merges it into its parent at once): it covers only up to the end of those
/// children, <see cref="EndMs"/>, which is short of the tile's own end.
/// </summary>
public readonly record struct TileRun(int Level, long StartMs, int Count, long EndMs);

/// <summary>
/// Enumerates the tiles that cover an interval (see <see cref="WindowPlan"/>) as runs of one level. A ref struct so
/// the hot read path walks the cover without allocating. At each point the coarsest usable tile wins: a complete
/// tile that fits, or an open coarse tile with its closed children in it (a partial run), so a live one-day window
/// is its complete hours, one partial hour and the minutes still open, not the minutes of the current hour one by
/// one. When the only retained tile at the cursor reaches past the end (an as-of query deep in the past, where finer
/// tiles have expired), that tile is used and <see cref="EndMs"/> grows to its end: the effective interval is always
/// reported, never silently different.
/// </summary>
public ref struct WindowCoverEnumerator
{
    private readonly TileLadder _ladder;
    private readonly long _nowMs;
    private readonly long _closedThroughMs;
    private readonly bool _partials;
    private long _cursor;
    private long _end;

    /// <param name="ladder">The feature's tile ladder.</param>
    /// <param name="span">The interval to cover; both ends aligned to the finest resolution.</param>
    /// <param name="nowMs">The shard's now (decides which tiles are retained).</param>
    /// <param name="closedThroughMs">Tiles ending at or before this time are complete at every level.</param>
    /// <param name="partials">
    /// True when every open coarse tile holds exactly its children that end at or before
    /// <paramref name="closedThroughMs"/>; false while a roll-up is half done, when only complete tiles may be used.
    /// </param>
    public WindowCoverEnumerator(TileLadder ladder, WindowSpan span, long nowMs, long closedThroughMs, bool partials = true)
    {
        _ladder = ladder;
        _nowMs = nowMs;
        _closedThroughMs = closedThroughMs;
        _partials = partials;
        _cursor = span.FromMs;
        _end = span.ToMs;
        Current = default;
    }

    public TileRun Current { get; private set; }

    /// <summary>The end of the effective interval (grows only in the as-of fallback described above).</summary>
    public readonly long EndMs => _end;

    public readonly WindowCoverEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_cursor >= _end)
        {
            return false;
        }

        int fallback = -1;
        for (int level = _ladder.Count - 1; level >= 0; level--)
        {
            long resolution = _ladder.ResolutionMs(level);
            if (TimeMath.FloorTo(_cursor, resolution) != _cursor || !_ladder.IsRetained(level, _cursor, _nowMs))
            {
                continue;
            }

            long tileEnd = _cursor + resolution;
            if (level > 0 && tileEnd > _closedThroughMs)
            {
                // Still open. It holds its children that closed; use it when that is more than nothing and within the end.
                if (_partials && _closedThroughMs > _cursor)
                {
                    long held = TimeMath.FloorTo(_closedThroughMs, _ladder.ResolutionMs(level - 1));
                    if (held > _cursor && held <= _end)
                    {
                        Current = new TileRun(level, _cursor, 1, held);
                        _cursor = held;
                        return true;
                    }
                }

                continue;
            }

            if (tileEnd <= _end)
            {
                // As many as fit, are complete, and end before a coarser tile could start.
                long count = (_end - _cursor) / resolution;
                if (level > 0)
                {
                    count = Math.Min(count, (_closedThroughMs - _cursor) / resolution);
                }

                if (level + 1 < _ladder.Count)
                {
                    long coarser = _ladder.ResolutionMs(level + 1);
                    count = Math.Min(count, (TimeMath.FloorTo(_cursor, coarser) + coarser - _cursor) / resolution);
                }

                Take(level, (int)count);
                return true;
            }

            fallback = level;
        }

        if (fallback < 0)
        {
            // Nothing usable (the interval is older than every level keeps): finest tiles, which are absent.
            fallback = 0;
        }

        _end = Math.Max(_end, _cursor + _ladder.ResolutionMs(fallback));
        Take(fallback, 1);
        return true;
    }

    private void Take(int level, int count)
    {
        long end = _cursor + (count * _ladder.ResolutionMs(level));
        Current = new TileRun(level, _cursor, count, end);
        _cursor = end;
    }
}
