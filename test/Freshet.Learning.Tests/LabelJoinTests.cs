using Freshet.Learning.Features;
using Freshet.Learning.Labels;

namespace Freshet.Learning.Tests;

public sealed class LabelJoinTests
{
    private const long Minute = 60_000;
    private static readonly JoinKey A = new(1, 10);
    private static readonly JoinKey B = new(2, 10);

    private readonly List<(JoinKey Key, bool Positive, long LabeledAt, float Marker, double Score)> _emitted = [];

    private LabelJoin NewJoin(int maxPending = 100) =>
        new(10 * Minute, maxPending, e => _emitted.Add((e.Key, e.Positive, e.LabeledAtMs, e.Features.Values[0], e.ServedScore)));

    [Fact]
    public void Outcome_InsideTheWindow_EmitsAPositiveAtOnce()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0.3);
        join.Outcome(A, 9 * Minute);

        Assert.Equal([(A, true, 9 * Minute, 1f, 0.3)], _emitted);
        Assert.Equal(0, join.Stats.Pending);
    }

    [Fact]
    public void WindowClosing_WithoutAnOutcome_EmitsANegativeAtTheDeadline()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0.3);
        join.Expose(B, 5 * Minute, Features(2), 0.1);
        join.AdvanceTo(12 * Minute);

        Assert.Equal([(A, false, 10 * Minute, 1f, 0.3)], _emitted);
        join.Outcome(A, 13 * Minute); // Too late: A's window closed.
        join.Outcome(B, 14 * Minute);

        Assert.Equal((B, true, 14 * Minute, 2f, 0.1), _emitted[1]);
        Assert.Equal(1, join.Stats.UnmatchedOutcomes);
    }

    [Fact]
    public void RepeatedExposure_WhilePending_StaysOneExampleWithTheFirstFeatures()
    {
        var join = NewJoin();
        Assert.True(join.Expose(A, 0, Features(1), 0.3));
        Assert.False(join.Expose(A, Minute, Features(7), 0.9));
        join.Flush();

        Assert.Equal([(A, false, 10 * Minute, 1f, 0.3)], _emitted);
        Assert.Equal(1, join.Stats.RepeatedExposures);
    }

    [Fact]
    public void Exposure_AfterItsPositive_OpensANewExample()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0);
        join.Outcome(A, Minute);
        join.Expose(A, 2 * Minute, Features(3), 0);
        join.AdvanceTo(30 * Minute);

        Assert.Equal([true, false], _emitted.Select(e => e.Positive));
        Assert.Equal(3f, _emitted[1].Marker);
        Assert.Equal(12 * Minute, _emitted[1].LabeledAt);
    }

    [Fact]
    public void Pending_BeyondTheLimit_ClosesTheOldestEarlyAsNegative()
    {
        var join = NewJoin(maxPending: 2);
        join.Expose(new JoinKey(1, 1), 0, Features(1), 0);
        join.Expose(new JoinKey(2, 2), Minute, Features(2), 0);
        join.Expose(new JoinKey(3, 3), 2 * Minute, Features(3), 0);

        Assert.Equal([(new JoinKey(1, 1), false, 2 * Minute, 1f, 0.0)], _emitted);
        Assert.Equal(1, join.Stats.Evicted);
        Assert.Equal(2, join.Stats.Pending);
    }

    [Fact]
    public void Time_NeverMovesBack()
    {
        var join = NewJoin();
        join.Expose(A, 20 * Minute, Features(1), 0);
        join.Expose(B, 5 * Minute, Features(2), 0); // An older exposure arriving late keeps its own deadline (15m).
        join.AdvanceTo(16 * Minute);

        Assert.Equal(20 * Minute, join.NowMs);
        join.AdvanceTo(21 * Minute);
        Assert.Equal([B], _emitted.Select(e => e.Key));
    }

    private static SparseVector Features(float marker)
    {
        var x = new SparseVector();
        x.Add(5, marker);
        return x;
    }
}

public sealed class LabelJoinCheckpointTests
{
    [Fact]
    public void SaveAndLoad_MidStream_EmitsWhatAnUninterruptedJoinEmits()
    {
        var events = Stream(seed: 8);
        var uninterrupted = new List<string>();
        var whole = new LabelJoin(600_000, 50, e => uninterrupted.Add(Describe(e)));
        foreach (var e in events)
        {
            Apply(whole, e);
        }

        whole.Flush();

        var resumed = new List<string>();
        var first = new LabelJoin(600_000, 50, e => resumed.Add(Describe(e)));
        foreach (var e in events.Take(events.Count / 2))
        {
            Apply(first, e);
        }

        using var file = new MemoryStream();
        first.Save(file);
        file.Position = 0;
        var second = LabelJoin.Load(file, 50, e => resumed.Add(Describe(e)));
        foreach (var e in events.Skip(events.Count / 2))
        {
            Apply(second, e);
        }

        second.Flush();
        Assert.Equal(uninterrupted, resumed);
        Assert.Equal(whole.Stats, second.Stats);
    }

    [Fact]
    public void Load_DamagedFile_IsRefused()
    {
        var join = new LabelJoin(600_000, 50, _ => { });
        foreach (var e in Stream(seed: 1).Take(40))
        {
            Apply(join, e);
        }

        using var file = new MemoryStream();
        join.Save(file);
        var bytes = file.ToArray();
        bytes[bytes.Length / 2] ^= 1;

        var error = Assert.Throws<InvalidDataException>(() => LabelJoin.Load(new MemoryStream(bytes), 50, _ => { }));
        Assert.Contains("checksum", error.Message);
    }

    private static List<(bool Exposure, JoinKey Key, long TimeMs, float Feature)> Stream(int seed)
    {
        var random = new Random(seed);
        long time = 0;
        return [.. Enumerable.Range(0, 2_000).Select(_ => (random.NextDouble() < 0.8, new JoinKey(random.Next(30), random.Next(5)), time += random.Next(30_000), (float)random.NextDouble()))];
    }

    private static void Apply(LabelJoin join, (bool Exposure, JoinKey Key, long TimeMs, float Feature) e)
    {
        if (e.Exposure)
        {
            var x = new SparseVector();
            x.Add(3, e.Feature);
            join.Expose(e.Key, e.TimeMs, x, e.Feature / 2);
        }
        else
        {
            join.Outcome(e.Key, e.TimeMs);
        }
    }

    private static string Describe(LabeledExample e) =>
        FormattableString.Invariant($"{e.Key} {e.ExposedAtMs} {e.LabeledAtMs} {e.Positive} {e.ServedScore} {e.Features.Values[0]}");
}
