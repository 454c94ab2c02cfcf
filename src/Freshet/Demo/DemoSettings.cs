using System.Globalization;

namespace Freshet.Cli.Demo;

/// <summary>What <c>freshet demo</c> was asked to do, parsed and validated.</summary>
/// <param name="FeaturesPath">The definitions file (resolved: the sample when none was given).</param>
/// <param name="DurationMs">Stop after this long (real time); null runs until Ctrl+C.</param>
/// <param name="RatePerSecond">Events per real second, averaged over a simulated day; null means as fast as the engine takes them.</param>
/// <param name="Seed">Seeds the synthetic shop and its traffic.</param>
/// <param name="ShardCount">Engine shards; null for the engine's default (one per core).</param>
/// <param name="Speed">Simulated seconds per real second.</param>
/// <param name="ModelsPath">The models file to learn (resolved: the sample when none was given); null with <c>--models none</c>.</param>
/// <param name="ModelsGiven">Whether the user named the models file: the sample is left out with a note when it does not fit the features, a file the user named fails the demo.</param>
/// <param name="Url">
/// Where the HTTP server listens as the user gave it with --url; null means <see cref="Freshet.Server.ServerOptions.DefaultUrl"/>,
/// or any free port when that one is taken.
/// </param>
internal sealed record DemoSettings(string FeaturesPath, long? DurationMs, long? RatePerSecond, ulong Seed, int? ShardCount, double Speed, string? Url,
    string? ModelsPath = null, bool ModelsGiven = false)
{
    /// <summary>
    /// One simulated hour per real second. At this speed the 1-hour windows turn over every second and a whole day,
    /// with its 4am trough and evening peak, passes in 24 seconds; that is what makes trends, the 24-hour window
    /// filling up and the daily rhythm visible within a short demo. At --rate max it also makes the stream about
    /// as dense as a real shop of this size (a few hundred events per simulated second).
    /// </summary>
    public const double DefaultSpeed = 3600;

    /// <summary>
    /// The events a second the demo runs at unless --rate says otherwise: a rate the engine takes on a busy 2-core
    /// laptop with cores to spare, so that shard queues do not stay full, the server answers at once and one learner
    /// keeps up with its share (--rate max used to saturate every core: ingest refused requests for the whole run and
    /// the learner skipped a third of the stream). At the default speed it is a shop of 50,000 events an hour, 1.2
    /// million a day.
    /// </summary>
    public const long DefaultRatePerSecond = 50_000;

    /// <summary>
    /// The demo's own definitions, shipped next to the binary: the sample's features with windows of at most a day and
    /// tiles kept a day and an hour. At an hour a second the sample's month of daily tiles would be reached in 14
    /// minutes, at a size a laptop does not have; with these the state plateaus within 25 seconds (the item views,
    /// kept hourly for the 7-day series, within 3 minutes).
    /// </summary>
    public const string DefaultFeaturesRelativePath = "samples/demo-features.yaml";

    /// <summary>Events per batch handed to the engine: big enough to amortize a hand-off, small enough to stay fresh.</summary>
    public const int BatchSize = 2048;
}

/// <summary>The --rate option: events per real second, or null for as fast as the engine takes them.</summary>
internal readonly record struct EventRate(long? PerSecond)
{
    public static readonly EventRate Max = new(null);

    /// <summary>As it is typed (<c>max</c>, <c>50k</c>, <c>1500</c>), so help's default parses back.</summary>
    public override string ToString() => PerSecond switch
    {
        null => "max",
        long n when n % 1000 == 0 => $"{n / 1000}k",
        long n => n.ToString(CultureInfo.InvariantCulture),
    };

    /// <summary>Parses <c>max</c> or a positive whole number, optionally with a <c>k</c> (thousands) suffix.</summary>
    public static bool TryParse(string text, out EventRate rate)
    {
        rate = Max;
        text = text.Trim();
        if (string.Equals(text, "max", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        long multiplier = 1;
        if (text.EndsWith('k') || text.EndsWith('K'))
        {
            multiplier = 1000;
            text = text[..^1];
        }

        if (long.TryParse(text, NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out long n) && n > 0 && n <= 1_000_000_000 / multiplier)
        {
            rate = new EventRate(n * multiplier);
            return true;
        }

        return false;
    }
}
