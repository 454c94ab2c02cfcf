using System.Globalization;
using System.Text;

namespace Freshet.BenchSuite.Workload;

/// <summary>
/// The models workload: views of 100,000 items in 7 categories by 10,000 users, each user with a favourite category,
/// and clicks on some of those views 30 s later (15 % in the favourite category, 2 % elsewhere), so a click model has
/// positives to learn and something to learn from them. Every item is viewed once first, so a recommender fed the
/// stream knows all 100,000; the other views are drawn log-uniformly (popular items many times), like the in-process
/// ranking figures' stream. Events come out in time order as NDJSON lines, over two hours of event time.
/// </summary>
internal sealed class ModelWorkload
{
    public const int Items = 100_000;
    public const int Users = 10_000;
    public const int Categories = 7;
    private const long ClickDelayMs = 30_000;

    /// <summary>The click model: the in-process ranking figures' model (hashed fields and one cross, default FTRL settings).</summary>
    public const string ClickModel = "clicks";

    /// <summary>The same model reading two live features of the item from the engine, as <c>samples/models.yaml</c> does.</summary>
    public const string LiveClickModel = "clicks_live";

    public const string Recommender = "for_you";

    /// <summary>The two item counts the live click model reads.</summary>
    public const string FeaturesYaml = """
        settings:
          clock: event_time
          allowed_lateness: 10m
          max_future: 100000d
        entities:
          item: item
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
          item_clicks: { entity: item, events: [click], aggregation: count, windows: [1h, 24h] }
        """;

    public const string ModelsYaml = $$"""
        models:
          {{ClickModel}}:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 10m
            fields: [user, item, category]
            crosses:
              - [user, category]
          {{LiveClickModel}}:
            kind: click
            exposure: [view]
            outcome: [click]
            key: [user, item]
            window: 10m
            fields: [user, item, category]
            crosses:
              - [user, category]
            live:
              - { entity: item, key: item, feature: item_views, window: 1h }
              - { entity: item, key: item, feature: item_clicks, window: 24h }
          {{Recommender}}:
            kind: recommender
            events: [view, click]
            user: user
            item: item
            factors: 32
            negatives: 8
        """;

    private readonly Random _random;
    private readonly int _views;
    private readonly long _stepMs;
    private readonly Queue<(long TimeMs, string User, int Item)> _clicks = new();
    private long _clockMs;
    private int _viewed;

    /// <param name="seed">The random stream.</param>
    /// <param name="views">Views in all, at least <see cref="Items"/> (every item once, then popular ones).</param>
    /// <param name="startMs">Event time of the first view.</param>
    public ModelWorkload(int seed, int views, long startMs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(views, Items);
        _random = new Random(seed);
        _views = views;
        _clockMs = startMs;
        _stepMs = Math.Max(1, 2 * 3_600_000L / views);
    }

    /// <summary>Events written so far.</summary>
    public long Written { get; private set; }

    public bool Done => _viewed == _views && _clicks.Count == 0;

    public static string Category(int item) => $"c{item % Categories}";

    /// <summary>An item drawn as the stream draws them: popular ones far more often, as a feed's candidates are.</summary>
    public static int PopularItem(Random random) => (int)Math.Min(Items - 1, Math.Pow(Items, random.NextDouble()));

    /// <summary>Appends up to <paramref name="events"/> NDJSON lines (fewer at the end of the stream); returns how many.</summary>
    public int Append(StringBuilder body, int events)
    {
        int written = 0;
        for (; written < events && !Done; written++)
        {
            // A click due before the next view goes first, so the stream stays in time order.
            if (_clicks.TryPeek(out var click) && (_viewed == _views || click.TimeMs <= _clockMs))
            {
                _clicks.Dequeue();
                AppendEvent(body, "click", click.TimeMs, click.User, click.Item);
                continue;
            }

            int user = _random.Next(Users);
            int item = _viewed < Items ? _viewed : PopularItem(_random);
            string userKey = $"u{user}";
            AppendEvent(body, "view", _clockMs, userKey, item);
            bool favourite = item % Categories == user % Categories;
            if (_random.NextDouble() < (favourite ? 0.15 : 0.02))
            {
                _clicks.Enqueue((_clockMs + ClickDelayMs, userKey, item));
            }

            _viewed++;
            _clockMs += _stepMs;
        }

        Written += written;
        return written;
    }

    private static void AppendEvent(StringBuilder body, string type, long timeMs, string user, int item) =>
        body.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"{type}\",\"time\":{timeMs},\"user\":\"{user}\",\"item\":\"i{item}\",\"category\":\"{Category(item)}\"}}\n");
}
