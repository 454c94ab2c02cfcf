using Freshet.Reading;
using Freshet.Seams;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Engine.Tests.Query;

public sealed class QueryErrorTests : IAsyncLifetime
{
    private const long T0 = 1_763_719_200_000;
    private FreshetEngine _engine = null!;

    public Task InitializeAsync()
    {
        _engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse("""
            entities:
              item: item
              user_item: [user, item]
              site: []
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
              item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h] }
              item_ctr: { entity: item, aggregation: ratio, numerator: item_clicks, denominator: item_views, windows: [1h] }
              item_trend: { entity: item, aggregation: trend, source: item_views, short: 1h, long: 24h }
              user_item_views: { entity: user_item, events: [view], aggregation: count, windows: [1h] }
              site_views: { entity: site, events: [view], aggregation: count, windows: [1h] }
            """, "q.yaml"), new EngineOptions { ShardCount = 1, Time = new ManualTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(T0 + Duration.Hour)) });
        var batch = new EventBatch();
        batch.BeginEvent(_engine.Strings.GetOrAdd("view"), T0);
        batch.AddString(_engine.Strings.GetOrAdd("item"), _engine.Strings.GetOrAdd("i1"));
        batch.AddString(_engine.Strings.GetOrAdd("user"), _engine.Strings.GetOrAdd("u1"));
        batch.EndEvent();
        _engine.Ingest(batch);
        _engine.Flush(TimeSpan.FromSeconds(10));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    private static ReadResult<T> Fails<T>(ReadResult<T> read)
        where T : class
    {
        Assert.False(read.IsOk, "the read was expected to fail");
        Assert.Null(read.Value);
        Assert.False(string.IsNullOrWhiteSpace(read.Problem));
        return read;
    }

    [Fact]
    public void ReadVector_UnknownEntity_ListsKnownEntities()
    {
        var ex = Fails(_engine.Reader.ReadVector("product", ["i1"]));
        Assert.Equal(ReadStatus.UnknownEntity, ex.Status);
        Assert.Contains("item, user_item, site", ex.Problem);
    }

    [Fact]
    public void ReadVector_UnknownFeature_ListsTheEntitysFeatures()
    {
        var ex = Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { Features = ["item_vews"] }));
        Assert.Equal(ReadStatus.UnknownFeature, ex.Status);
        Assert.Contains("item_views, item_clicks, item_ctr, item_trend", ex.Problem);
    }

    [Fact]
    public void ReadVector_FeatureOfAnotherEntity_SaysWhichEntityItBelongsTo() =>
        Assert.Contains("keyed by 'user_item'", Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { Features = ["user_item_views"] })).Problem);

    [Fact]
    public void ReadVector_WrongKeyArity_NamesTheKeyFields()
    {
        Assert.Contains("[user, item]", Fails(_engine.Reader.ReadVector("user_item", ["u1"])).Problem);
        Assert.Contains("global", Fails(_engine.Reader.ReadVector("site", ["x"])).Problem);
    }

    [Fact]
    public void ReadVector_BadWindowOrTime_SaysWhatIsAllowed()
    {
        Assert.Equal(ReadStatus.BadWindow, Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { WindowsMs = [90 * Duration.Second] })).Status);
        Assert.Equal(ReadStatus.BadWindow, Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { WindowsMs = [400 * Duration.Day] })).Status);
        Assert.Contains("after now", Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { AsOfMs = T0 + Duration.Day })).Problem);
        Assert.Equal(ReadStatus.OutOfRange, Fails(_engine.Reader.ReadVector("item", ["i1"], new VectorQuery { AsOfMs = T0 - (40 * Duration.Day) })).Status);
    }

    [Fact]
    public void ReadSeries_TrendOrTooOld_IsRefusedWithReason()
    {
        Assert.Equal(ReadStatus.NotSupported, Fails(_engine.Reader.ReadSeries("item_trend", ["i1"], Duration.Hour)).Status);
        Assert.Contains("keeps 1m buckets back to", Fails(_engine.Reader.ReadSeries("item_views", ["i1"], Duration.Minute, T0 - Duration.Day)).Problem);
    }

    [Fact]
    public void ReadSeries_MinuteBucketsWithoutFrom_CoverWhatIsKeptInsteadOfRefusing()
    {
        // Minute tiles are kept for hours, not the 7 days an hourly series covers by default.
        var series = _engine.Reader.ReadSeries("item_views", ["i1"], Duration.Minute).ValueOrThrow();

        long to = T0 + Duration.Minute; // The clock is the newest event's time; the last bucket is the one holding it.
        Assert.Equal(to, series.Points[^1].StartMs + Duration.Minute);
        Assert.InRange(series.Points.Count, 60, (int)((7 * Duration.Day) / Duration.Minute) - 1);
        Assert.Equal(1, series.Points.Single(p => p.StartMs == T0).Value.Number);
        Assert.Equal(1, series.Points.Sum(p => p.Value.Number));

        // The hourly default still covers the last 7 days.
        Assert.Equal(7 * 24, _engine.Reader.ReadSeries("item_views", ["i1"], Duration.Hour).ValueOrThrow().Points.Count);
    }

    [Fact]
    public void ReadVector_UnknownKeyAndCompositeAndGlobal_AnswerLikeEmptyOrCounted()
    {
        var unknown = _engine.Reader.ReadVector("item", ["never"]).ValueOrThrow();
        Assert.False(unknown.KnownKey);
        Assert.Equal(0, unknown.Find("item_views", "1h")!.Value.Number);
        Assert.Equal(1, _engine.Reader.ReadVector("user_item", ["u1", "i1"]).ValueOrThrow().Find("user_item_views", "1h")!.Value.Number);
        Assert.Equal("u1|i1", _engine.Reader.ReadVector("user_item", ["u1", "i1"]).ValueOrThrow().Key);
        Assert.Equal(1, _engine.Reader.ReadVector("site", []).ValueOrThrow().Find("site_views", "1h")!.Value.Number);
        // No prior: 0 clicks over 1 view.
        Assert.Equal(0, _engine.Reader.ReadVector("item", ["i1"], new VectorQuery { Features = ["item_ctr"] }).ValueOrThrow().Readings[0].Value.Number);
    }
}
