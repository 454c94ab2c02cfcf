using Freshet.Engine;
using Freshet.Events;
using Freshet.Features;
using Freshet.Time;

namespace Freshet.Benchmarks;

/// <summary>
/// The benchmark workload: five features per event (a count, a sum, a distinct, a site-wide top-k and a last-k),
/// Zipf-popular items, and event time that keeps moving so tiles open, close, roll up and expire as in production.
/// Keys are interned up front, so filling a batch costs a few stores per field.
/// </summary>
internal sealed class BenchStream
{
    public const string Features = """
        settings:
          clock: event_time
          allowed_lateness: 1m
          max_future: 100000d
          # Short retention so a benchmark reaches steady state (tiles expire as fast as they open) in seconds.
          tiles:
            - { resolution: 1m, keep: 70m }
            - { resolution: 1h, keep: 3h }
        entities:
          item: item
          user: user
          site: []
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 3h] }
          item_revenue: { entity: item, events: [view], aggregation: sum, field: price, windows: [1h, 3h] }
          item_viewers: { entity: item, events: [view], aggregation: distinct, field: user, windows: [1h, 3h] }
          site_top_items: { entity: site, events: [view], aggregation: top_k, field: item, k: 20, windows: [1h] }
          user_recent_items: { entity: user, events: [view], aggregation: last_k, field: item, k: 10, windows: [3h] }
        """;

    private readonly int _type, _item, _user, _price;
    private readonly int[] _items, _users;
    private readonly int[] _itemOfDraw;
    private readonly Random _random = new(42);
    private long _clockMs = 1_763_719_200_000;
    private ulong _nextId;

    public BenchStream(FreshetEngine engine, int items = 100_000, int users = 200_000)
    {
        var strings = engine.Strings;
        _type = strings.GetOrAdd("view");
        _item = strings.GetOrAdd("item");
        _user = strings.GetOrAdd("user");
        _price = strings.GetOrAdd("price");
        _items = Enumerable.Range(0, items).Select(i => strings.GetOrAdd($"i{i}")).ToArray();
        _users = Enumerable.Range(0, users).Select(i => strings.GetOrAdd($"u{i}")).ToArray();
        // A skewed (power-law-like) draw table: item i is drawn about as often as a Zipf law would have it, popular items many times.
        _itemOfDraw = Enumerable.Range(0, 1 << 20).Select(i => (int)Math.Min(items - 1, Math.Floor(Math.Pow(items, Math.Pow((i + 0.5) / (1 << 20), 1.6))) - 1)).ToArray();
    }

    public static FreshetEngine NewEngine(int shards) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(Features, "bench.yaml"), new EngineOptions { ShardCount = shards });

    /// <summary>
    /// Gives every event a distinct id (as the JSON parser's hash would be), so the dedup window is on the measured
    /// path: 600,000 ids per 10-minute horizon of simulated time.
    /// </summary>
    public bool WithIds { get; init; }

    /// <summary>Fills a cleared batch; event time advances 1 ms per event (1,000 events per simulated second).</summary>
    public void Fill(EventBatch batch, int count)
    {
        batch.Clear();
        for (int i = 0; i < count; i++)
        {
            _clockMs++;
            int draw = _random.Next(_itemOfDraw.Length);
            batch.BeginEvent(_type, _clockMs, WithIds ? IdHash(++_nextId) : 0);
            batch.AddString(_item, _items[Math.Max(0, _itemOfDraw[draw])]);
            batch.AddString(_user, _users[_random.Next(_users.Length)]);
            batch.AddNumber(_price, draw & 127);
            batch.EndEvent();
        }
    }

    public long ClockMs => _clockMs;

    /// <summary>SplitMix64's finalizer: distinct, well-spread, non-zero 64-bit ids without hashing text.</summary>
    private static ulong IdHash(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return Math.Max(1, x ^ (x >> 31));
    }

    public static long Hour => Duration.Hour;
}
