using Freshet.Aggregation;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;

namespace Freshet.Testing.Reading;

/// <summary>
/// The contract every <see cref="IFeatureReader"/> passes (the embedded shards, a serving process over published tile
/// values): a seeded stream (<see cref="ReaderStream"/>) goes in through the implementation's own ingest path, then
/// vectors, as-of vectors, series and profiles equal a brute-force oracle computed from the events, an unknown key
/// reads as a key with no events, every kind of bad read answers its <see cref="ReadStatus"/> with a message (never an
/// exception), and a batch of keys reads exactly as the keys one by one. A concrete test class derives from this and
/// implements <see cref="StartAsync"/>.
/// </summary>
public abstract class FeatureReaderContract : IAsyncLifetime
{
    private const int Seed = 14;
    private static readonly IReadOnlyList<ReaderEvent> Events = ReaderStream.Generate(Seed);
    private readonly ReaderOracle _oracle = new(Events);

    /// <summary>The reader under test, started by <see cref="StartAsync"/>.</summary>
    protected IFeatureReader Reader { get; private set; } = null!;

    /// <summary>
    /// Starts the implementation on <paramref name="features"/>, ingests <paramref name="events"/> in order (all of them
    /// are valid and must be accepted) and returns its reader once every event is visible to reads. The reader's clock is
    /// event time: now is the last event's, <see cref="ReaderStream.EndMs"/>; a wall clock, where one is needed (the
    /// future-event check), should read <see cref="ReaderStream.EndMs"/>.
    /// </summary>
    protected abstract Task<IFeatureReader> StartAsync(FeatureSet features, IReadOnlyList<ReaderEvent> events);

    /// <summary>Stops what <see cref="StartAsync"/> started.</summary>
    protected abstract Task StopAsync();

    public async Task InitializeAsync() => Reader = await StartAsync(ReaderStream.Definitions(), Events).ConfigureAwait(false);

    public Task DisposeAsync() => StopAsync();

    [Fact]
    public void ReadVector_EveryKeyNow_EqualsTheOracle()
    {
        Assert.Equal(ReaderStream.EndMs, Reader.NowMs);
        foreach (var (entity, key) in AllKeys())
        {
            var vector = Ok(Reader.ReadVector(entity, key));
            Assert.Equal(ReaderStream.EndMs, vector.AtMs);
            Assert.True(vector.KnownKey, $"{entity} {Describe(key)} has events");
            CheckVector(vector, key);
        }
    }

    [Theory]
    [InlineData(7)]
    [InlineData(5 * 60 + 23)]
    [InlineData(30 * 60)]
    public void ReadVector_AsOfThePast_EqualsTheOracleThen(int minutesAgo)
    {
        long at = ReaderStream.EndMs - (minutesAgo * Duration.Minute);
        for (int i = 0; i < ReaderStream.Items; i += 3)
        {
            var vector = Ok(Reader.ReadVector("item", [$"i{i}"], new VectorQuery { AsOfMs = at }));
            Assert.Equal(at, vector.AtMs);
            CheckVector(vector, [$"i{i}"]);
        }

        CheckVector(Ok(Reader.ReadVector("site", [], new VectorQuery { AsOfMs = at })), []);
    }

    [Fact]
    public void ReadVector_NamedFeaturesAndWindows_AnswersOnlyThose()
    {
        var vector = Ok(Reader.ReadVector("item", ["i0"], new VectorQuery { Features = ["item_revenue", "item_ctr"], WindowsMs = [3 * Duration.Hour] }));
        Assert.Equal(["item_revenue/3h", "item_ctr/3h"], vector.Readings.Select(r => $"{r.Feature}/{r.Window}"));
        CheckVector(vector, ["i0"]);
    }

    [Fact]
    public void ReadVector_UnknownKey_AnswersLikeAKeyWithNoEvents()
    {
        var vector = Ok(Reader.ReadVector("item", ["never-seen"]));
        Assert.False(vector.KnownKey);
        Assert.Equal("never-seen", vector.Key);
        foreach (var reading in vector.Readings)
        {
            double expected = reading.Feature switch
            {
                "item_ctr" => ReaderStream.PriorAlpha / (ReaderStream.PriorAlpha + ReaderStream.PriorBeta),
                "item_trend" => ReaderOracle.Trend(0, 0),
                _ => 0,
            };
            AssertClose(expected, reading, $"{reading.Feature}/{reading.Window} of an unknown key");
        }
    }

    [Fact]
    public void Read_BadInput_AnswersEachStatusWithAProblem()
    {
        Assert.Contains("item", Fails(ReadStatus.UnknownEntity, Reader.ReadVector("product", ["i0"])), StringComparison.Ordinal);
        Assert.Contains("item_vews", Fails(ReadStatus.UnknownFeature, Reader.ReadVector("item", ["i0"], new VectorQuery { Features = ["item_vews"] })), StringComparison.Ordinal);
        Fails(ReadStatus.UnknownFeature, Reader.ReadVector("item", ["i0"], new VectorQuery { Features = ["user_views"] }));
        Fails(ReadStatus.UnknownFeature, Reader.ReadSeries("nope", ["i0"], Duration.Hour));
        Fails(ReadStatus.UnknownFeature, Reader.ReadProfile("nope", ["i0"], ProfileKind.HourOfDay));
        Fails(ReadStatus.BadKey, Reader.ReadVector("item", ["i0", "extra"]));
        Fails(ReadStatus.BadKey, Reader.ReadVector("site", ["x"]));
        Fails(ReadStatus.BadKey, Reader.ReadSeries("item_views", [], Duration.Hour));
        Fails(ReadStatus.BadWindow, Reader.ReadVector("item", ["i0"], new VectorQuery { WindowsMs = [90 * Duration.Second] }));
        Fails(ReadStatus.BadWindow, Reader.ReadVector("item", ["i0"], new VectorQuery { WindowsMs = [400 * Duration.Day] }));
        Fails(ReadStatus.BadWindow, Reader.ReadSeries("item_views", ["i0"], 90 * Duration.Second));
        Fails(ReadStatus.OutOfRange, Reader.ReadVector("item", ["i0"], new VectorQuery { AsOfMs = ReaderStream.EndMs + Duration.Hour }));
        Fails(ReadStatus.OutOfRange, Reader.ReadVector("item", ["i0"], new VectorQuery { AsOfMs = ReaderStream.EndMs - (60 * Duration.Day) }));
        Fails(ReadStatus.OutOfRange, Reader.ReadSeries("item_views", ["i0"], Duration.Minute, ReaderStream.EndMs - Duration.Day));
        Fails(ReadStatus.OutOfRange, Reader.ReadProfile("item_views", ["i0"], ProfileKind.DayOfWeek, days: 400));
        Fails(ReadStatus.NotSupported, Reader.ReadSeries("item_trend", ["i0"], Duration.Hour));
        Fails(ReadStatus.NotSupported, Reader.ReadProfile("item_trend", ["i0"], ProfileKind.HourOfDay));
    }

    [Theory]
    [InlineData("item_views", "i0")]
    [InlineData("item_revenue", "i1")]
    [InlineData("item_ctr", "i0")]
    [InlineData("user_views", "u3")]
    public void ReadSeries_HourlyOverADay_EqualsTheOracle(string feature, string key)
    {
        long from = ReaderStream.EndMs - Duration.Day;
        var series = Ok(Reader.ReadSeries(feature, [key], Duration.Hour, from, ReaderStream.EndMs));
        Assert.Equal(feature, series.Feature);
        Assert.Equal(Duration.Hour, series.ResolutionMs);
        Assert.Equal(24, series.Points.Count);
        Assert.Equal(TimeMath.FloorTo(from, Duration.Hour), series.Points[0].StartMs);
        foreach (var point in series.Points)
        {
            AssertClose(_oracle.Value(feature, key, point.StartMs, point.StartMs + Duration.Hour), point.Value, $"{feature} of {key} at {TimeMath.FormatUtc(point.StartMs)}");
        }
    }

    [Fact]
    public void ReadSeries_MinuteBucketsByDefault_EndWithTheBucketOfNow()
    {
        var series = Ok(Reader.ReadSeries("site_views", [], Duration.Minute));
        Assert.Equal(TimeMath.FloorTo(ReaderStream.EndMs, Duration.Minute), series.Points[^1].StartMs);
        Assert.True(series.Points.Count >= 60, $"minute tiles are kept 3h; {series.Points.Count} buckets came back");
        foreach (var point in series.Points)
        {
            AssertClose(_oracle.Value("site_views", "", point.StartMs, point.StartMs + Duration.Minute), point.Value, $"site_views at {TimeMath.FormatUtc(point.StartMs)}");
        }
    }

    [Fact]
    public void ReadProfile_HourOfDayAndDayOfWeek_FoldTheOracle()
    {
        var hours = Ok(Reader.ReadProfile("item_views", ["i0"], ProfileKind.HourOfDay, days: 3));
        Assert.Equal(24, hours.Slots.Count);
        Assert.Equal(3 * Duration.Day, hours.ToMs - hours.FromMs);
        Assert.True(hours.FromMs <= ReaderStream.StartMs && hours.ToMs > ReaderStream.EndMs, "three days to the end of today cover the whole stream");
        for (int h = 0; h < 24; h++)
        {
            AssertClose(_oracle.ViewsInHourOfDay("i0", h, hours.FromMs, hours.ToMs), hours.Slots[h], $"views of i0 at {h:00}h");
        }

        var days = Ok(Reader.ReadProfile("item_views", ["i0"], ProfileKind.DayOfWeek, days: 7));
        Assert.Equal(7, days.Slots.Count);
        for (int d = 0; d < 7; d++)
        {
            AssertClose(_oracle.ViewsOnWeekday("i0", d, days.FromMs, days.ToMs), days.Slots[d], $"views of i0 on weekday {d}");
        }

        Assert.Equal(Events.Count(e => e.Type == "view" && e.Item == "i0"), days.Slots.Sum(s => s.Number));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadVectors_ManyKeys_EqualReadVectorPerKey(bool asOf)
    {
        var keys = Enumerable.Range(0, ReaderStream.Items).Select(i => (IReadOnlyList<string>)[$"i{i}"]).ToList();
        keys.Insert(3, ["never-seen"]);
        keys.Insert(5, ["i1", "extra"]);
        var query = new VectorQuery { Features = ["item_views", "item_ctr", "item_trend", "item_viewers"], AsOfMs = asOf ? ReaderStream.EndMs - (3 * Duration.Hour) : null };
        var results = new ReadResult<FeatureVector>[keys.Count];
        Reader.ReadVectors("item", keys, query, results);
        for (int i = 0; i < keys.Count; i++)
        {
            var one = Reader.ReadVector("item", keys[i], query);
            Assert.Equal(one.Status, results[i].Status);
            if (!one.IsOk)
            {
                Assert.Equal(one.Problem, results[i].Problem);
                continue;
            }

            var expected = one.Value!;
            var actual = results[i].Value!;
            Assert.Equal((expected.Entity, expected.Key, expected.AtMs, expected.KnownKey), (actual.Entity, actual.Key, actual.AtMs, actual.KnownKey));
            Assert.Equal(expected.Readings.Select(Describe), actual.Readings.Select(Describe));
            CheckVector(actual, keys[i]);
        }

        Assert.Equal(ReadStatus.BadKey, results[5].Status);
        Assert.False(results[3].Value!.KnownKey);
    }

    [Fact]
    public void ReadVectors_BadEntityOrQuery_FailsEveryKey()
    {
        IReadOnlyList<string>[] keys = [["i0"], ["i1"]];
        var results = new ReadResult<FeatureVector>[2];
        Reader.ReadVectors("product", keys, null, results);
        Assert.All(results, r => Assert.Equal(ReadStatus.UnknownEntity, r.Status));
        Reader.ReadVectors("item", keys, new VectorQuery { WindowsMs = [90 * Duration.Second] }, results);
        Assert.All(results, r => Assert.Equal(ReadStatus.BadWindow, r.Status));
    }

    /// <summary>Every key with events: all items and users, and the global site key.</summary>
    private static IEnumerable<(string Entity, IReadOnlyList<string> Key)> AllKeys() =>
        Events.Select(e => e.Item).Distinct(StringComparer.Ordinal).Select(i => ("item", (IReadOnlyList<string>)[i]))
            .Concat(Events.Where(e => e.Type == "view").Select(e => e.User).Distinct(StringComparer.Ordinal).Select(u => ("user", (IReadOnlyList<string>)[u])))
            .Append(("site", []));

    /// <summary>Each reading of <paramref name="vector"/> against the oracle over the interval it reports.</summary>
    private void CheckVector(FeatureVector vector, IReadOnlyList<string> key)
    {
        string text = key.Count == 0 ? "" : key[0];
        foreach (var reading in vector.Readings)
        {
            string what = $"{reading.Feature}/{reading.Window} of {vector.Entity} '{text}' at {TimeMath.FormatUtc(vector.AtMs)}";
            // The reported interval covers the window: its start at or before at − window (rounded down to a kept
            // tile), its end after at (rounded up), and no more than a day of rounding at either edge.
            Assert.InRange(reading.FromMs, vector.AtMs - reading.WindowMs - Duration.Day, vector.AtMs - reading.WindowMs);
            Assert.InRange(reading.ToMs, vector.AtMs, vector.AtMs + Duration.Day);
            if (reading.Feature == "item_trend")
            {
                var source = Ok(Reader.ReadVector(vector.Entity, key, new VectorQuery { Features = ["item_views"], WindowsMs = [Duration.Hour, Duration.Day], AsOfMs = vector.AtMs }));
                AssertClose(ReaderOracle.Trend(source.Readings[0].Value.Number, source.Readings[1].Value.Number), reading, what);
                continue;
            }

            AssertClose(_oracle.Value(reading.Feature, text, reading.FromMs, reading.ToMs), reading, what);
        }
    }

    private static void AssertClose(double expected, FeatureReading reading, string what) =>
        AssertClose(expected, reading.Value, what, sketch: reading.Feature == "item_viewers");

    private static void AssertClose(double expected, FeatureValue value, string what, bool sketch = false)
    {
        Assert.True(value.Kind == FeatureValueKind.Number, $"{what}: a number was expected, not {value}");
        // Counts, sums and ratios are exact up to floating-point addition order; distinct counts are sketches
        // (HyperLogLog), within 2 %.
        double tolerance = sketch ? Math.Abs(expected) * 0.02 : 1e-9 * Math.Max(1, Math.Abs(expected));
        Assert.True(Math.Abs(expected - value.Number) <= tolerance, $"{what}: expected {expected}, read {value.Number}");
    }

    private static T Ok<T>(ReadResult<T> read)
        where T : class
    {
        Assert.True(read.IsOk, $"the read failed: {read.Status}: {read.Problem}");
        return read.Value!;
    }

    private static string Fails<T>(ReadStatus expected, ReadResult<T> read)
        where T : class
    {
        Assert.Equal(expected, read.Status);
        Assert.Null(read.Value);
        Assert.False(string.IsNullOrWhiteSpace(read.Problem), $"a {read.Status} answer names what was wrong");
        return read.Problem!;
    }

    private static string Describe(FeatureReading r) => $"{r.Feature}/{r.Window} [{r.FromMs}, {r.ToMs}) = {r.Value}";

    private static string Describe(IReadOnlyList<string> key) => string.Join('|', key);
}
