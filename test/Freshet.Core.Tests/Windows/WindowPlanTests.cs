using System.Collections.Immutable;
using Freshet.Features;
using Freshet.Time;
using Freshet.Windows;

namespace Freshet.Tests.Windows;

public sealed class WindowPlanTests
{
    private static readonly TileLadder Ladder = new(ImmutableArray.Create(
        new TileLevel(Duration.Minute, 3 * Duration.Hour),
        new TileLevel(Duration.Hour, 8 * Duration.Day),
        new TileLevel(Duration.Day, 35 * Duration.Day)));

    private const long Now = 1_763_719_234_567; // 2025-11-21T10:00:34.567Z

    [Fact]
    public void TryPlan_ShortLiveWindow_RoundsToMinutes()
    {
        Assert.True(WindowPlan.TryPlan(Ladder, Duration.Hour, Now, Now, out var span));

        Assert.Equal(TimeMath.FloorTo(Now - Duration.Hour, Duration.Minute), span.FromMs);
        Assert.Equal(TimeMath.FloorTo(Now, Duration.Minute) + Duration.Minute, span.ToMs);
    }

    [Fact]
    public void TryPlan_SevenDayWindow_StartsOnAnHourBoundary()
    {
        Assert.True(WindowPlan.TryPlan(Ladder, 7 * Duration.Day, Now, Now, out var span));

        Assert.Equal(TimeMath.FloorTo(Now - (7 * Duration.Day), Duration.Hour), span.FromMs);
    }

    [Fact]
    public void TryPlan_BeyondRetention_IsRefused() =>
        Assert.False(WindowPlan.TryPlan(Ladder, 30 * Duration.Day, Now - (10 * Duration.Day), Now, out _));

    [Fact]
    public void Cover_CompleteCoarseTiles_UsesFewestTiles()
    {
        Assert.True(WindowPlan.TryPlan(Ladder, 7 * Duration.Day, Now, Now, out var span));
        var tiles = new List<TileRef>();
        var cover = new WindowCoverEnumerator(Ladder, span, Now, closedThroughMs: Now - (10 * Duration.Minute));
        while (cover.MoveNext())
        {
            tiles.Add(cover.Current);
        }

        // Contiguous, in order, exactly the span, and far fewer tiles than 7 days of minutes.
        long cursor = span.FromMs;
        foreach (var t in tiles)
        {
            Assert.Equal(cursor, t.BucketStartMs);
            cursor += Ladder.ResolutionMs(t.Level);
        }

        Assert.Equal(span.ToMs, cursor);
        Assert.InRange(tiles.Count, 6, 6 + 23 + 23 + 60);
        Assert.Contains(tiles, t => t.Level == 2);
    }

    [Fact]
    public void Cover_IncompleteCoarseTile_FallsBackToFinerTiles()
    {
        long hourStart = TimeMath.FloorTo(Now, Duration.Hour);
        var span = new WindowSpan(hourStart - Duration.Hour, hourStart + Duration.Hour);
        var levels = new List<int>();
        // Closed only up to 30 minutes into the previous hour: that hour is not complete yet.
        var cover = new WindowCoverEnumerator(Ladder, span, Now, closedThroughMs: hourStart - (30 * Duration.Minute));
        while (cover.MoveNext())
        {
            levels.Add(cover.Current.Level);
        }

        Assert.All(levels, l => Assert.Equal(0, l));
        Assert.Equal(120, levels.Count);
    }
}
