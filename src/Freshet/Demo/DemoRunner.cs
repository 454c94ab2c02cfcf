using Freshet.Engine;
using Freshet.Engine.Synthetic;
using Freshet.Features;
using Freshet.Time;
using Spectre.Console;

namespace Freshet.Cli.Demo;

/// <summary>
/// Runs <c>freshet demo</c>: builds the engine and the synthetic shop, starts the producer, shows the live view (or
/// progress lines) until the duration is up or Ctrl+C, then stops cleanly and prints the summary.
/// </summary>
internal static class DemoRunner
{
    /// <summary>
    /// Batches queued per shard. The engine's default (64) favours throughput; the demo keeps queues short so that
    /// what it shows, and what its server answers, is at most a few batches behind the stream's clock. Queries ask
    /// about windows ending at that clock, and the shard holding the site-wide top-k (every view goes to it) is the
    /// one that falls behind: its lag in simulated time is the events queued ahead of it times the speed over the
    /// throughput. With 8 batches of 2048 events that passed a simulated hour whenever a busy machine slowed the
    /// demo below ~25,000 events a second, and the trending list (a 1-hour window) came back empty; with 2 it takes
    /// a slowdown below ~8,000, and throughput on a 2-core machine was no lower.
    /// </summary>
    private const int QueueCapacity = 2;

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    public static async Task<int> RunAsync(DemoSettings settings, FeatureSet definitions, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        bool live = DemoConsole.IsLiveTerminal(output);
        var console = DemoConsole.Create(output, live);

        // Simulated time starts at midnight UTC today, so the first simulated day shows its whole rhythm in order.
        long startMs = TimeMath.FloorTo(TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(), Duration.Day);
        var clock = new SimulatedClock(startMs);
        var engineOptions = new EngineOptions { Time = clock, QueueCapacity = QueueCapacity };
        if (settings.ShardCount is { } shards)
        {
            engineOptions = engineOptions with { ShardCount = shards };
        }

        var shop = new SyntheticOptions { Seed = settings.Seed, StartTimeMs = startMs }; // The producer sets the density.
        console.MarkupLine($"[grey]Features from {Markup.Escape(ShortPath(settings.FeaturesPath))}; building a synthetic shop of "
            + $"{DemoFormat.Count(shop.ItemCount)} items in {DemoFormat.Count(shop.CategoryCount)} categories and {DemoFormat.Count(shop.UserCount)} users (seed {settings.Seed})…[/]");

        await using var engine = FreshetEngine.Create(definitions, engineOptions);
        var stream = new SyntheticStream(shop, engine.Strings);
        var producer = new DemoProducer(engine, stream, clock, settings);
        var monitor = new DemoMonitor(engine, stream, producer, clock, startMs);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.DurationMs is { } durationMs)
        {
            stop.CancelAfter(TimeSpan.FromMilliseconds(durationMs));
        }

        producer.Start();
        try
        {
            if (live)
            {
                await LiveView.RunAsync(console, monitor, settings, stop.Token);
            }
            else
            {
                await ProgressLines.RunAsync(output, monitor, stop.Token);
            }
        }
        finally
        {
            producer.Stop();
        }

        if (!engine.Flush(DrainTimeout))
        {
            error.WriteLine($"The engine did not apply every event within {DrainTimeout.TotalSeconds:0} s; the summary counts what it had.");
        }

        var final = monitor.Take(withFeatures: !live);
        if (!live)
        {
            // The live view's last frame already shows these; a log gets them once, at the end.
            if (final.Trending is { } trending)
            {
                console.Write(DemoTables.Trending(trending, console.Profile.Capabilities.Unicode));
            }

            if (final.User is { } user)
            {
                console.Write(DemoTables.User(user));
            }
        }

        DemoSummary.Write(console, final);
        if (monitor.StopReason is { } reason)
        {
            console.MarkupLine($"[yellow]{Markup.Escape(reason)}[/]");
        }

        if (producer.Fault is { } fault)
        {
            error.WriteLine($"The demo stopped on an error: {fault}");
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    /// <summary>The path relative to the current directory when that is shorter (it usually is).</summary>
    private static string ShortPath(string path)
    {
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.Length < path.Length ? relative : path;
    }
}
