using Freshet.Learning.Features;
using Freshet.Learning.Labels;

namespace Freshet.Learning.Tests;

public sealed class LabelJoinTests
{
    private const long Minute = 60_000;
    private static readonly JoinKey A = new(1, 10);
    private static readonly JoinKey B = new(2, 10);

    private readonly List<(JoinKey Key, long OutcomeAt, float Marker, double Score)> _positives = [];
    private readonly List<(JoinKey Key, bool Positive, long FinalAt, double Score, double Baseline)> _finals = [];

    private LabelJoin NewJoin(int maxPending = 100) =>
        new(10 * Minute, maxPending, e => _positives.Add((e.Key, e.OutcomeAtMs, e.Features.Values[0], e.ServedScore)),
            f => _finals.Add((f.Key, f.Positive, f.FinalAtMs, f.ServedScore, f.BaselineScore)));

    [Fact]
    public void Outcome_InsideTheWindow_EmitsAPositiveAtOnceAndItsFinalLabelWhenTheWindowCloses()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0.3, 0.01);
        join.Outcome(A, 9 * Minute);

        Assert.Equal([(A, 9 * Minute, 1f, 0.3)], _positives);
        Assert.Empty(_finals); // The window is open: the label is known, but not yet judged with the others of its time.
        Assert.Equal(1, join.Stats.Pending);

        join.AdvanceTo(10 * Minute);
        Assert.Equal([(A, true, 10 * Minute, 0.3, 0.01)], _finals);
        Assert.Equal(0, join.Stats.Pending);
        Assert.Equal(1, join.Stats.Final);
    }

    [Fact]
    public void WindowClosing_WithoutAnOutcome_GivesAFinalNegativeAtTheDeadline()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0.3, 0.01);
        join.Expose(B, 5 * Minute, Features(2), 0.1, 0.02);
        join.AdvanceTo(12 * Minute);

        Assert.Equal([(A, false, 10 * Minute, 0.3, 0.01)], _finals);
        join.Outcome(A, 13 * Minute); // Too late: A's window closed.
        join.Outcome(B, 14 * Minute);

        Assert.Equal([(B, 14 * Minute, 2f, 0.1)], _positives);
        Assert.Equal(1, join.Stats.UnmatchedOutcomes);
        join.Flush();
        Assert.Equal((B, true, 15 * Minute, 0.1, 0.02), _finals[1]);
    }

    /// <summary>
    /// Whatever the moment, the examples with a final label are exactly those exposed a window ago or more, each
    /// once, with the label it ends with: positives are not judged ahead of the negatives exposed with them.
    /// </summary>
    [Fact]
    public void FinalLabels_AtAnyMoment_AreTheExposuresAWindowOldOrMore()
    {
        var random = new Random(11);
        var join = NewJoin(maxPending: 1_000_000);
        var clicks = new PriorityQueue<JoinKey, long>();
        var exposedAt = new Dictionary<JoinKey, long>();
        var clickedAt = new Dictionary<JoinKey, long>();
        for (int n = 0; n < 20_000; n++)
        {
            long time = n * 1_000L;
            while (clicks.TryPeek(out var key, out long at) && at <= time)
            {
                clicks.Dequeue();
                join.Outcome(key, at);
            }

            var exposure = new JoinKey(n, 0); // One key an exposure, as a request id is.
            join.Expose(exposure, time, Features(n), 0.5);
            exposedAt[exposure] = time;
            if (random.NextDouble() < 0.05)
            {
                long delay = (long)(random.NextDouble() * 15 * Minute); // Two in three inside the 10-minute window.
                clicks.Enqueue(exposure, time + delay);
                clickedAt[exposure] = time + delay;
            }

            if (n % 997 == 0)
            {
                var expected = exposedAt.Where(e => e.Value + (10 * Minute) <= time).Select(e => e.Key).ToHashSet();
                Assert.Equal(expected.Count, _finals.Count);
                Assert.All(_finals, f => Assert.Contains(f.Key, expected));
                Assert.Equal(expected.Count(k => clickedAt.TryGetValue(k, out long c) && c < exposedAt[k] + (10 * Minute)), _finals.Count(f => f.Positive));
            }
        }

        Assert.Equal(_finals.Count, _finals.Select(f => f.Key).Distinct().Count());
    }

    [Fact]
    public void RepeatedExposure_WhilePending_StaysOneExampleWithTheFirstScores()
    {
        var join = NewJoin();
        Assert.True(join.Expose(A, 0, Features(1), 0.3));
        Assert.False(join.Expose(A, Minute, Features(7), 0.9));
        join.Flush();

        Assert.Equal([(A, false, 10 * Minute, 0.3, double.NaN)], _finals);
        Assert.Equal(1, join.Stats.RepeatedExposures);
    }

    [Fact]
    public void Exposure_AfterItsPositive_OpensANewExample()
    {
        var join = NewJoin();
        join.Expose(A, 0, Features(1), 0);
        join.Outcome(A, Minute);
        join.Expose(A, 2 * Minute, Features(3), 0.5);
        join.AdvanceTo(30 * Minute);

        Assert.Equal([(A, true, 10 * Minute, 0.0, double.NaN), (A, false, 12 * Minute, 0.5, double.NaN)], _finals);
        Assert.Equal(new LabelJoinStats(2, 0, 1, 1, 0, 0, 0, 2), join.Stats);
    }

    [Fact]
    public void Pending_BeyondTheLimit_ClosesTheOldestEarly()
    {
        var join = NewJoin(maxPending: 2);
        join.Expose(new JoinKey(1, 1), 0, Features(1), 0);
        join.Outcome(new JoinKey(1, 1), Minute / 2); // Open until its window closes, so it counts towards the limit.
        join.Expose(new JoinKey(2, 2), Minute, Features(2), 0);
        join.Expose(new JoinKey(3, 3), 2 * Minute, Features(3), 0);
        join.Expose(new JoinKey(4, 4), 3 * Minute, Features(4), 0);

        Assert.Equal([(new JoinKey(1, 1), true, 2 * Minute, 0.0, double.NaN), (new JoinKey(2, 2), false, 3 * Minute, 0.0, double.NaN)], _finals);
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
        Assert.Equal([B], _finals.Select(e => e.Key));
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
        var whole = new LabelJoin(600_000, 50, e => uninterrupted.Add(Describe(e)), f => uninterrupted.Add(Describe(f)));
        foreach (var e in events)
        {
            Apply(whole, e);
        }

        whole.Flush();

        var resumed = new List<string>();
        var first = new LabelJoin(600_000, 50, e => resumed.Add(Describe(e)), f => resumed.Add(Describe(f)));
        foreach (var e in events.Take(events.Count / 2))
        {
            Apply(first, e);
        }

        using var file = new MemoryStream();
        first.Save(file);
        file.Position = 0;
        var second = LabelJoin.Load(file, 50, e => resumed.Add(Describe(e)), f => resumed.Add(Describe(f)));
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
        var join = new LabelJoin(600_000, 50, _ => { }, _ => { });
        foreach (var e in Stream(seed: 1).Take(40))
        {
            Apply(join, e);
        }

        using var file = new MemoryStream();
        join.Save(file);
        var bytes = file.ToArray();
        bytes[bytes.Length / 2] ^= 1;

        var error = Assert.Throws<InvalidDataException>(() => LabelJoin.Load(new MemoryStream(bytes), 50, _ => { }, _ => { }));
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
            join.Expose(e.Key, e.TimeMs, x, e.Feature / 2, e.Feature / 3);
        }
        else
        {
            join.Outcome(e.Key, e.TimeMs);
        }
    }

    private static string Describe(PositiveExample e) =>
        FormattableString.Invariant($"positive {e.Key} {e.ExposedAtMs} {e.OutcomeAtMs} {e.ServedScore} {e.Features.Values[0]}");

    private static string Describe(FinalLabel f) =>
        FormattableString.Invariant($"final {f.Key} {f.ExposedAtMs} {f.FinalAtMs} {f.Positive} {f.ServedScore} {f.BaselineScore}");
}
