using System.Collections.Immutable;
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
        var runs = Cover(span, closedThroughMs: Now - (10 * Duration.Minute));

        AssertContiguous(span, runs);
        Assert.Contains(runs, r => r.Level == 2);
        // Hours up to a day boundary, 6 days, today's closed hours in the open day tile, then the current hour's
        // closed minutes in the open hour tile, then the open minutes: a handful of runs, far fewer tiles than 7 days of minutes.
        Assert.InRange(runs.Sum(r => r.Count), 6, 6 + 23 + 2 + 11);
        Assert.InRange(runs.Count, 3, 6);
    }

    [Fact]
    public void Cover_OpenCoarseTile_HoldsItsClosedChildren()
    {
        long hourStart = TimeMath.FloorTo(Now, Duration.Hour);
        var span = new WindowSpan(hourStart - Duration.Hour, hourStart + Duration.Hour);
        // Closed only up to 30.5 minutes into the previous hour: that hour is open and holds its first 30 minutes.
        var runs = Cover(span, closedThroughMs: hourStart - (29 * Duration.Minute) - (30 * Duration.Second));

        AssertContiguous(span, runs);
        Assert.Equal(new TileRun(1, hourStart - Duration.Hour, 1, hourStart - (30 * Duration.Minute)), runs[0]);
        Assert.All(runs.Skip(1), r => Assert.Equal(0, r.Level));
        Assert.Equal(90, runs.Skip(1).Sum(r => r.Count));
    }

    [Fact]
    public void Cover_DuringRollUp_UsesCompleteTilesOnly()
    {
        long hourStart = TimeMath.FloorTo(Now, Duration.Hour);
        var span = new WindowSpan(hourStart - Duration.Hour, hourStart + Duration.Hour);
        var runs = Cover(span, closedThroughMs: hourStart - (30 * Duration.Minute), partials: false);

        AssertContiguous(span, runs);
        Assert.All(runs, r => Assert.Equal(0, r.Level));
        Assert.Equal(120, runs.Sum(r => r.Count));
    }

    [Fact]
    public void Cover_AsOfBeforeTheClosedChildren_DoesNotUseThePartialTile()
    {
        long hourStart = TimeMath.FloorTo(Now, Duration.Hour);
        // The window ends 10 minutes into the hour, but the open hour tile already holds 40 minutes: it cannot be used.
        var span = new WindowSpan(hourStart - Duration.Hour, hourStart + (10 * Duration.Minute));
        var runs = Cover(span, closedThroughMs: hourStart + (40 * Duration.Minute));

        AssertContiguous(span, runs);
        Assert.Equal(new TileRun(1, hourStart - Duration.Hour, 1, hourStart), runs[0]);
        Assert.Equal(new TileRun(0, hourStart, 10, hourStart + (10 * Duration.Minute)), runs[1]);
    }

    private static List<TileRun> Cover(WindowSpan span, long closedThroughMs, bool partials = true)
    {
        var runs = new List<TileRun>();
        var cover = new WindowCoverEnumerator(Ladder, span, Now, closedThroughMs, partials);
        while (cover.MoveNext())
        {
            runs.Add(cover.Current);
        }

        return runs;
    }

    /// <summary>Runs are in order, each ends where the next starts, and together they cover exactly the span.</summary>
    private static void AssertContiguous(WindowSpan span, List<TileRun> runs)
    {
        long cursor = span.FromMs;
        foreach (var run in runs)
        {
            Assert.Equal(cursor, run.StartMs);
            Assert.True(run.Count >= 1);
            long end = run.StartMs + (run.Count * Ladder.ResolutionMs(run.Level));
            Assert.True(run.EndMs == end || (run.Count == 1 && run.EndMs < end), $"run {run} ends at {run.EndMs}");
            cursor = run.EndMs;
        }

        Assert.Equal(span.ToMs, cursor);
    }
}
