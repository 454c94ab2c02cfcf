using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
using Freshet.Synthetic;
using Freshet.Time;
using Spectre.Console;

namespace Freshet.Cli.Demo;

/// <summary>
/// Runs <c>freshet demo</c>: builds the engine and the synthetic shop, starts the HTTP server on that engine and the
/// producer, prints curl examples with keys that have data, shows the live view (or progress lines) until the duration
/// is up or Ctrl+C, then stops the server (letting requests in flight finish) and the producer, and prints the summary.
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

    /// <summary>
    /// How long to wait for the stream to reach a hot item and an active user before printing the examples without
    /// them. At the default speed it takes a fraction of a second; a very low --rate can take longer.
    /// </summary>
    private static readonly TimeSpan KeysTimeout = TimeSpan.FromSeconds(20);

    public static async Task<int> RunAsync(DemoSettings settings, FeatureSet definitions, ModelSet models, TextWriter output, TextWriter error,
        CancellationToken cancellationToken)
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

        await using var engine = FreshetEngine.Create(definitions, engineOptions);
        string? modelsNote = null;
        if (models.Count > 0 && settings.ModelsGiven)
        {
            if (!ModelsFile.FitsCatalog(models, engine.Catalog, settings.ModelsPath!, error)) // Writes the problems.
            {
                return ExitCodes.BadDefinitions;
            }
        }
        else if (models.Count > 0 && ModelDefinitionLoader.Check(models, engine.Catalog, settings.ModelsPath!).Count > 0)
        {
            // The sample models read the sample features; with other features the demo still runs, without models.
            modelsNote = $"{ShortPath(settings.ModelsPath!)} reads features that {Path.GetFileName(settings.FeaturesPath)} lacks, so the demo learns no models "
                + "(--models names a file that fits, --models none leaves this note out).";
            models = ModelSet.Empty;
        }

        models = SampleForRate(models, settings.RatePerSecond);

        // Before building the shop, which takes seconds: an address that is taken fails at once.
        var (server, note) = await DemoServer.StartAsync(engine, models, settings.Url, error, cancellationToken);
        if (server is null)
        {
            return ExitCodes.Failure;
        }

        var baseAddress = server.BaseAddress;
        using var requests = new RequestCounter(server);
        DemoProducer producer;
        DemoMonitor monitor;
        try
        {
            foreach (string line in new[] { note, modelsNote }.OfType<string>())
            {
                WriteNote(console, output, live, line);
            }

            var shop = new SyntheticOptions { Seed = settings.Seed, StartTimeMs = startMs }; // The producer sets the density.
            console.MarkupLine($"[grey]Features from {Markup.Escape(ShortPath(settings.FeaturesPath))}; building a synthetic shop of "
                + $"{DemoFormat.Count(shop.ItemCount)} items in {DemoFormat.Count(shop.CategoryCount)} categories and {DemoFormat.Count(shop.UserCount)} users (seed {settings.Seed})…[/]");
            var stream = new SyntheticStream(shop, engine.Strings);
            Func<long>? learnerLag = models.Count == 0 ? null : () =>
            {
                var learner = server.Models();
                return engine.GetStats().Accepted - learner.EventsLearned - learner.EventsSkipped;
            };
            producer = new DemoProducer(engine.Router, stream, clock, settings, learnerLag);
            monitor = new DemoMonitor(engine, stream, producer, clock, startMs, requests, models.Count > 0 ? server.Models : null);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (settings.DurationMs is { } durationMs)
            {
                stop.CancelAfter(TimeSpan.FromMilliseconds(durationMs));
            }

            producer.Start();
            try
            {
                var endpoint = await PrepareExamplesAsync(engine, models, stream, producer, monitor, baseAddress, console, output, live, stop.Token);
                if (live)
                {
                    await LiveView.RunAsync(console, monitor, settings, endpoint, stop.Token);
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
        }
        finally
        {
            // Stop taking requests and let those in flight finish (the engine still answers them); the summary then
            // counts every request served.
            await server.DisposeAsync();
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

        DemoSummary.Write(console, final, baseAddress);
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

    /// <summary>
    /// Waits for keys with data, builds the examples, writes them to a file and prints them as plain lines (the live view
    /// shows those that fit its width). The live view starts by following the examples' user.
    /// </summary>
    private static async Task<DemoEndpoint> PrepareExamplesAsync(FreshetEngine engine, ModelSet models, SyntheticStream stream, DemoProducer producer, DemoMonitor monitor,
        Uri baseAddress, IAnsiConsole console, TextWriter output, bool live, CancellationToken stop)
    {
        var features = DemoFeatures.Discover(engine.Catalog);
        var keys = await DemoExamples.WaitForKeysAsync(engine, stream, features, () => producer.IsRunning, KeysTimeout, stop);
        if (!DemoExamples.IsComplete(keys, features) && !stop.IsCancellationRequested)
        {
            string missing = string.Join(" and ", new[] { keys.Item is null ? "a trending item" : null, keys.User is null ? "an active user" : null }.OfType<string>());
            WriteNote(console, output, live, $"The stream produced no data for {missing} within {KeysTimeout.TotalSeconds:0} s; the examples leave those out.");
        }

        if (keys.User is { } user)
        {
            monitor.Follow(user);
        }

        var endpoint = new DemoEndpoint(baseAddress, DemoExamples.Build(baseAddress, features, keys, models));
        endpoint = endpoint with { ExamplesFile = DemoExamples.WriteFile(endpoint, out string? problem) };
        if (problem is not null)
        {
            WriteNote(console, output, live, problem);
        }

        // Whole, as plain lines, before the live view too: it shows only the commands that fit the terminal's width, and
        // what is printed here stays in the scrollback to be copied.
        DemoExamples.WritePlain(output, endpoint);
        return endpoint;
    }

    /// <summary>
    /// A line worth noticing: yellow in a terminal; in a log written as is, since the plain console's fixed width
    /// would break it inside a URL.
    /// </summary>
    private static void WriteNote(IAnsiConsole console, TextWriter output, bool live, string note)
    {
        if (live)
        {
            console.MarkupLine($"[yellow]{Markup.Escape(note)}[/]");
        }
        else
        {
            output.WriteLine(note);
        }
    }

    /// <summary>
    /// Events a second the demo's models learn from, about: one learner thread keeps up with this many, reading each
    /// exposure's live features, on a busy 2-core machine whose cores ingest shares. With 25,000 (5 % of --rate max)
    /// the learner still skipped a third of the stream, and at the default rate a half; the share is what one thread
    /// sustains with the rest of the demo running, not what it reaches alone.
    /// </summary>
    private const double LearnedEventsPerSecond = 5_000;

    /// <summary>The rate --rate max reaches on a 2-core laptop, to size the sample for it.</summary>
    private const double MaxRatePerSecond = 500_000;

    /// <summary>
    /// At the demo's rates one learner thread cannot learn every event, and one that skips what it cannot take breaks
    /// the label join (a click in a skipped batch turns its view into a false negative). So models that learn every key
    /// learn a sample of keys sized to the rate instead: whole users and (user, item) pairs, their labels intact.
    /// </summary>
    private static ModelSet SampleForRate(ModelSet models, long? ratePerSecond)
    {
        double share = Math.Min(1, LearnedEventsPerSecond / (ratePerSecond ?? MaxRatePerSecond));
        return share >= 1 ? models : new ModelSet(
            [.. models.ClickModels.Select(m => m.Sample < 1 ? m : m with { Sample = share })],
            [.. models.Recommenders.Select(r => r.Sample < 1 ? r : r with { Sample = share })]);
    }

    /// <summary>The path relative to the current directory when that is shorter (it usually is).</summary>
    private static string ShortPath(string path)
    {
        string relative = Path.GetRelativePath(Directory.GetCurrentDirectory(), path);
        return relative.Length < path.Length ? relative : path;
    }
}
