using System.Globalization;
using System.Text;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.BenchSuite.Workload;

/// <summary>
/// The serving workload: 20 count and sum features of an item (10 over the last hour, 10 over the last day), fed by a
/// shop's events over two days, so a read merges minute, hour and day tiles. The Redis peer keeps the same figures as
/// hourly counters in one hash per item: an hour window is one field, a day window 24.
/// </summary>
internal sealed class ServingWorkload
{
    public const int Items = 100_000;
    public static readonly string[] Types = ["view", "click", "cart", "purchase", "search"];

    /// <summary>The 20 features: (name, event type, aggregation, filter price &gt; 50, window hours).</summary>
    public static readonly (string Name, string Type, string Aggregation, bool Expensive, int Hours)[] Features = BuildFeatures();

    private readonly Random _random;
    private readonly double[] _typeCumulative = [0.70, 0.85, 0.93, 0.97, 1.0];
    private readonly int[] _itemOfDraw;
    private long _clockMs;

    public ServingWorkload(int seed, long startMs)
    {
        _random = new Random(seed);
        _clockMs = startMs;
        // Zipf-like popularity, as in the ingest workload.
        _itemOfDraw = Enumerable.Range(0, 1 << 20).Select(i => (int)Math.Min(Items - 1, Math.Floor(Math.Pow(Items, Math.Pow((i + 0.5) / (1 << 20), 1.6))) - 1)).ToArray();
    }

    public static string Yaml
    {
        get
        {
            var text = new StringBuilder("""
                settings:
                  clock: event_time
                  allowed_lateness: 1m
                  max_future: 100000d
                entities: { item: item }
                features:

                """);
            foreach (var f in Features)
            {
                string filter = f.Expensive ? ", filter: { price: { gt: 50 } }" : "";
                string sumField = f.Aggregation == "sum" ? ", field: price" : "";
                text.Append(CultureInfo.InvariantCulture, $"  {f.Name}: {{ entity: item, events: [{f.Type}], aggregation: {f.Aggregation}{sumField}{filter}, windows: [{f.Hours}h] }}\n");
            }

            return text.ToString();
        }
    }

    public static FeatureSet Definitions => FeatureDefinitionLoader.Parse(Yaml, "serving.yaml");

    public long ClockMs => _clockMs;

    /// <summary>The next event, <paramref name="stepMs"/> after the previous one.</summary>
    public (string Type, long TimeMs, string Item, string User, double Price) Next(long stepMs)
    {
        _clockMs += stepMs;
        double roll = _random.NextDouble();
        int type = Array.FindIndex(_typeCumulative, c => roll < c);
        int item = Math.Max(0, _itemOfDraw[_random.Next(_itemOfDraw.Length)]);
        return (Types[type], _clockMs, $"i{item}", $"u{_random.Next(200_000)}", Math.Round(_random.NextDouble() * 100, 2));
    }

    /// <summary>A key to read: popular items more often, as a feed's candidates are.</summary>
    public string Key(Random random) => $"i{Math.Max(0, _itemOfDraw[random.Next(_itemOfDraw.Length)])}";

    public static void Fill(EventBatch batch, StringInterner strings, ReadOnlySpan<(string Type, long TimeMs, string Item, string User, double Price)> events)
    {
        int item = strings.GetOrAdd("item"), user = strings.GetOrAdd("user"), price = strings.GetOrAdd("price");
        batch.Clear();
        foreach (var e in events)
        {
            batch.BeginEvent(strings.GetOrAdd(e.Type), e.TimeMs);
            batch.AddString(item, strings.GetOrAdd(e.Item));
            batch.AddString(user, strings.GetOrAdd(e.User));
            batch.AddNumber(price, e.Price);
            batch.EndEvent();
        }
    }

    public static void AppendNdjson(StringBuilder body, (string Type, long TimeMs, string Item, string User, double Price) e, string? id = null)
    {
        body.Append('{');
        if (id is not null)
        {
            body.Append(CultureInfo.InvariantCulture, $"\"id\":\"{id}\",");
        }

        body.Append(CultureInfo.InvariantCulture, $"\"type\":\"{e.Type}\",\"time\":{e.TimeMs},\"item\":\"{e.Item}\",\"user\":\"{e.User}\",\"price\":{e.Price.ToString("R", CultureInfo.InvariantCulture)}}}\n");
    }

    /// <summary>The hash fields a feature-window reads in the peer at <paramref name="hour"/> (the current hour and those before).</summary>
    public static IEnumerable<string> PeerFields(long hour) =>
        Features.SelectMany(f => Enumerable.Range(0, f.Hours).Select(h => PeerField(f.Type, f.Aggregation, f.Expensive, hour - h))).Distinct();

    public static string PeerField(string type, string aggregation, bool expensive, long hour) =>
        $"{type}{(expensive ? ">50" : "")}:{aggregation}:{hour}";

    private static (string, string, string, bool, int)[] BuildFeatures()
    {
        var list = new List<(string, string, string, bool, int)>();
        foreach (int hours in new[] { 1, 24 })
        {
            foreach (string type in Types)
            {
                list.Add(($"{type}s_{hours}h", type, "count", false, hours));
            }

            list.Add(($"cart_value_{hours}h", "cart", "sum", false, hours));
            list.Add(($"revenue_{hours}h", "purchase", "sum", false, hours));
            list.Add(($"expensive_views_{hours}h", "view", "count", true, hours));
            list.Add(($"expensive_carts_{hours}h", "cart", "count", true, hours));
            list.Add(($"expensive_purchases_{hours}h", "purchase", "count", true, hours));
        }

        return [.. list];
    }
}
