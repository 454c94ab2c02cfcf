using Freshet.Reading;
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

    private QueryException Fails(Action query)
    {
        var ex = Assert.Throws<QueryException>(query);
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        return ex;
    }

    [Fact]
    public void GetVector_UnknownEntity_ListsKnownEntities()
    {
        var ex = Fails(() => _engine.GetVector("product", ["i1"]));
        Assert.Equal(QueryError.UnknownEntity, ex.Error);
        Assert.Contains("item, user_item, site", ex.Message);
    }

    [Fact]
    public void GetVector_UnknownFeature_ListsTheEntitysFeatures()
    {
        var ex = Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { Features = ["item_vews"] }));
        Assert.Equal(QueryError.UnknownFeature, ex.Error);
        Assert.Contains("item_views, item_clicks, item_ctr, item_trend", ex.Message);
    }

    [Fact]
    public void GetVector_FeatureOfAnotherEntity_SaysWhichEntityItBelongsTo() =>
        Assert.Contains("keyed by 'user_item'", Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { Features = ["user_item_views"] })).Message);

    [Fact]
    public void GetVector_WrongKeyArity_NamesTheKeyFields()
    {
        Assert.Contains("[user, item]", Fails(() => _engine.GetVector("user_item", ["u1"])).Message);
        Assert.Contains("global", Fails(() => _engine.GetVector("site", ["x"])).Message);
    }

    [Fact]
    public void GetVector_BadWindowOrTime_SaysWhatIsAllowed()
    {
        Assert.Equal(QueryError.BadWindow, Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { WindowsMs = [90 * Duration.Second] })).Error);
        Assert.Equal(QueryError.BadWindow, Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { WindowsMs = [400 * Duration.Day] })).Error);
        Assert.Contains("after now", Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { AsOfMs = T0 + Duration.Day })).Message);
        Assert.Equal(QueryError.OutOfRange, Fails(() => _engine.GetVector("item", ["i1"], new VectorQuery { AsOfMs = T0 - (40 * Duration.Day) })).Error);
    }

    [Fact]
    public void GetSeries_TrendOrTooOld_IsRefusedWithReason()
    {
        Assert.Equal(QueryError.NotSupported, Fails(() => _engine.GetSeries("item_trend", ["i1"])).Error);
        Assert.Contains("keeps 1m buckets back to", Fails(() => _engine.GetSeries("item_views", ["i1"], Duration.Minute, T0 - Duration.Day)).Message);
    }

    [Fact]
    public void GetSeries_MinuteBucketsWithoutFrom_CoverWhatIsKeptInsteadOfRefusing()
    {
        // Minute tiles are kept for hours, not the 7 days an hourly series covers by default.
        var series = _engine.GetSeries("item_views", ["i1"], Duration.Minute);

        long to = T0 + Duration.Minute; // The clock is the newest event's time; the last bucket is the one holding it.
        Assert.Equal(to, series.Points[^1].StartMs + Duration.Minute);
        Assert.InRange(series.Points.Count, 60, (int)((7 * Duration.Day) / Duration.Minute) - 1);
        Assert.Equal(1, series.Points.Single(p => p.StartMs == T0).Value.Number);
        Assert.Equal(1, series.Points.Sum(p => p.Value.Number));

        // The hourly default still covers the last 7 days.
        Assert.Equal(7 * 24, _engine.GetSeries("item_views", ["i1"]).Points.Count);
    }

    [Fact]
    public void GetVector_UnknownKeyAndCompositeAndGlobal_AnswerLikeEmptyOrCounted()
    {
        var unknown = _engine.GetVector("item", ["never"]);
        Assert.False(unknown.KnownKey);
        Assert.Equal(0, unknown.Find("item_views", "1h")!.Value.Number);
        Assert.Equal(1, _engine.GetVector("user_item", ["u1", "i1"]).Find("user_item_views", "1h")!.Value.Number);
        Assert.Equal("u1|i1", _engine.GetVector("user_item", ["u1", "i1"]).Key);
        Assert.Equal(1, _engine.GetVector("site", []).Find("site_views", "1h")!.Value.Number);
        // No prior: 0 clicks over 1 view.
        Assert.Equal(0, _engine.GetVector("item", ["i1"], new VectorQuery { Features = ["item_ctr"] }).Readings[0].Value.Number);
    }
}
