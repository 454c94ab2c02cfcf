using System.Diagnostics;
using System.Globalization;
using Freshet.Aggregation;
using Freshet.Contracts;
using Freshet.Engine;
using Freshet.Reading;
using Freshet.Synthetic;
using Freshet.Time;

namespace Freshet.Cli.Demo;

/// <summary>
/// Reads the running demo into <see cref="DemoSnapshot"/>s: engine statistics and throughput, HTTP requests served,
/// the trending items with their features next to the generator's ground truth, and the feature vector of a recently
/// active user (a new one every few seconds), and the models learning from the stream (<paramref name="models"/>, null
/// when there are none). Called from the view's thread only.
/// </summary>
internal sealed class DemoMonitor(FreshetEngine engine, SyntheticStream stream, DemoProducer producer, SimulatedClock clock, long simulatedStartMs,
    RequestCounter requests, Func<ModelsResponse>? models)
{
    private const int TrendingRows = 10;

    /// <summary>
    /// The demo stops by itself when the process holds more than this share of the machine's memory: a safety net for
    /// features given with --features, whose ladders may keep tiles for weeks while the demo simulates weeks in minutes
    /// (the sample's reach 4 GiB in 90 s). The demo's own features keep a day and stay far below it.
    /// </summary>
    private const double MemoryShareMax = 0.5;

    private static readonly TimeSpan UserTenure = TimeSpan.FromSeconds(5);

    private readonly DemoFeatures _features = DemoFeatures.Discover(engine.Catalog);
    private readonly ThroughputMeter _meter = new(historyLength: 40, simulatedStartMs);
    private readonly ThroughputMeter _requestMeter = new(historyLength: 1, simulatedStartMs);
    private readonly ModelMeter _modelMeter = new(historyLength: 40);
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private string? _user;
    private TimeSpan _userPickedAt;

    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_startTicks);

    /// <summary>Why the demo stopped by itself, if it did.</summary>
    public string? StopReason { get; private set; }

    /// <summary>False once the producer has failed or the demo has reached its memory limit.</summary>
    public bool KeepRunning => producer.IsRunning && StopReason is null;

    /// <summary>Shows <paramref name="user"/> for the next few seconds (the user the printed examples ask about).</summary>
    public void Follow(string user)
    {
        _user = user;
        _userPickedAt = Elapsed;
    }

    /// <summary>Takes a snapshot; <paramref name="withFeatures"/> false skips the feature queries (progress lines).</summary>
    public DemoSnapshot Take(bool withFeatures)
    {
        var elapsed = Elapsed;
        var stats = engine.GetStats();
        long simulatedNow = clock.NowMs;
        _meter.Record(elapsed, stats.Accepted, simulatedNow);
        long requestCount = requests.Count;
        _requestMeter.Record(elapsed, requestCount, simulatedNow);
        if (_user is null || elapsed - _userPickedAt >= UserTenure)
        {
            _user = stream.RecentUser ?? _user;
            _userPickedAt = elapsed;
        }

        var footprint = ReadFootprint();
        CheckMemory(footprint);
        return new DemoSnapshot(elapsed, stats, _meter.Current, _meter.Average, _meter.Peak, _meter.History,
            simulatedStartMs, simulatedNow, _meter.SimulatedSpeed, stream.Counts, footprint, requestCount, _requestMeter.Current,
            withFeatures ? ReadTrending() : null, withFeatures ? ReadUser() : null, models is null ? null : _modelMeter.Record(elapsed, models()));
    }

    private EngineFootprint ReadFootprint()
    {
        long tiles = 0, bytes = 0;
        int stateful = 0;
        foreach (var feature in engine.Catalog.Features.Where(f => !f.IsDerived))
        {
            var (t, b, _) = engine.Footprint(feature);
            tiles += t;
            bytes += b;
            stateful++;
        }

        return new EngineFootprint(tiles, bytes, stateful, Environment.WorkingSet, GC.GetGCMemoryInfo().HeapSizeBytes);
    }

    private void CheckMemory(EngineFootprint footprint)
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (StopReason is null && available > 0 && footprint.ProcessBytes > available * MemoryShareMax)
        {
            StopReason = $"Stopped by itself: the process reached {DemoFormat.Bytes(footprint.ProcessBytes)}, more than "
                + $"{MemoryShareMax.ToString("P0", CultureInfo.InvariantCulture)} of this machine's {DemoFormat.Bytes(available)}. The features keep "
                + "tiles for weeks, and the demo simulates weeks in minutes; the default features (samples/demo-features.yaml) keep a day, and a lower --rate keeps less.";
        }
    }

    private TrendingItems? ReadTrending()
    {
        var f = _features;
        if (f.TopItems is null)
        {
            return null;
        }

        string window = Duration.Format(f.TopItemsWindowMs);
        string? viewsLabel = f.Views is { } v && v.Definition.WindowsMs.Contains(f.TopItemsWindowMs) ? $"{v.Definition.EventTypes.FirstOrDefault() ?? "event"}s {window}" : null;
        string? trendLabel = f.Trend is { } t ? $"{Duration.Format(t.Definition.ShortWindowMs)}/{Duration.Format(t.Definition.LongWindowMs)}" : null;
        string? ctrLabel = f.Ctr is null ? null : Duration.Format(f.CtrWindowMs);
        double filled = f.Trend is null ? 1 : Math.Min(1, (clock.NowMs - simulatedStartMs) / (double)f.Trend.Definition.LongWindowMs);
        var top = engine.Reader.ReadVector(f.TopItems.Entity.Name, [], new VectorQuery { Features = [f.TopItems.Name], WindowsMs = [f.TopItemsWindowMs] });
        if (!top.IsOk)
        {
            return new TrendingItems(f.TopItems.Name, window, viewsLabel, trendLabel, ctrLabel, filled, [], top.Problem);
        }

        var entries = top.Value!.Readings[0].Value.Items ?? [];
        var rows = new List<TrendingItem>(TrendingRows);
        foreach (var entry in entries.Take(TrendingRows))
        {
            rows.Add(ReadItem(rows.Count + 1, entry));
        }

        return new TrendingItems(f.TopItems.Name, window, viewsLabel, trendLabel, ctrLabel, filled, rows, null);
    }

    private TrendingItem ReadItem(int rank, ItemValue entry)
    {
        var f = _features;
        string item = entry.Item ?? "";
        bool known = stream.TryGetItem(item, out var truth);
        double? views = null, trend = null, ctr = null;
        if (f.ItemEntity is not null)
        {
            var names = new[] { f.Views, f.Trend, f.Ctr }.Where(x => x is not null).Select(x => x!.Name).ToList();
            // A read that cannot be answered (a catalog swap in progress) leaves this row's values blank.
            if (engine.Reader.ReadVector(f.ItemEntity, [item], new VectorQuery { Features = names }).Value is { } vector)
            {
                views = f.Views is null ? null : Find(vector, f.Views.Name, f.TopItemsWindowMs);
                trend = f.Trend is null ? null : Find(vector, f.Trend.Name, null);
                ctr = f.Ctr is null ? null : Find(vector, f.Ctr.Name, f.CtrWindowMs);
            }
        }

        return new TrendingItem(rank, item, known ? truth.Category : null, entry.Value, views, trend, ctr,
            known ? truth.TrueCtr : null, known && stream.IsPromoted(truth.Index));
    }

    private static double? Find(FeatureVector vector, string feature, long? windowMs)
    {
        var reading = vector.Readings.FirstOrDefault(r => r.Feature == feature && (windowMs is null || r.WindowMs == windowMs));
        return reading is { Value.Kind: FeatureValueKind.Number } ? reading.Value.Number : null;
    }

    private UserVector? ReadUser()
    {
        if (_features.UserEntity is not { } entity || _user is null)
        {
            return null;
        }

        var read = engine.Reader.ReadVector(entity, [_user]);
        if (!read.IsOk)
        {
            return new UserVector(entity, _user, [], read.Problem);
        }

        var readings = read.Value!.Readings.Select(r => new UserReading(r.Feature, r.Window, Format(r.Value))).ToList();
        return new UserVector(entity, _user, readings, null);
    }

    /// <summary>Numbers to four significant digits; lists as their first few entries and how many more.</summary>
    private static string Format(FeatureValue value)
    {
        const int shown = 4;
        switch (value.Kind)
        {
            case FeatureValueKind.Number:
                return value.Number.ToString(Math.Abs(value.Number) >= 1000 ? "N0" : "G4", CultureInfo.InvariantCulture);
            case FeatureValueKind.Items:
                var items = value.Items!;
                if (items.Length == 0)
                {
                    return "(none)";
                }

                string head = string.Join(", ", items.Take(shown).Select(i => i.Item ?? i.Value.ToString("G4", CultureInfo.InvariantCulture)));
                return items.Length > shown ? $"{head}, … (+{items.Length - shown})" : head;
            default:
                return "–";
        }
    }
}
