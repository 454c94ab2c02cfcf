using System.Globalization;
using System.Text;
using Freshet.BenchSuite.Suite;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// <c>freshet-bench unique-keys [--events N] [--rate N] [--freshet DLL]</c>: whether the strings of keys whose tiles expired are
/// reclaimed. Starts <c>freshet serve --data DIR</c> with features on event time whose tiles are kept one hour, and posts
/// N events, each from a user never seen before, while event time runs ahead 1 minute per 1,000 events (simulated time,
/// starting 60 days ago, so the server's max_future never refuses it). Only about an hour of users (60,000) is ever
/// live; every key older than that belongs to expired tiles. Posting is paced (<c>--rate</c>, 20,000 events/s) so the
/// server checkpoints (every second) about every 20 simulated minutes: simulated time runs thousands of times faster
/// than real time, and expired keys are freed two checkpoints after their tiles are swept. Prints the server's RSS and ids.journal size as it goes:
/// flat when expired keys are reclaimed, growing with every event when they are not. <c>--freshet</c> runs another
/// build's <c>freshet.dll</c> (an older commit, for a before/after figure).
/// </summary>
internal static class UniqueKeysProbe
{
    private const int EventsPerRequest = 5000;
    private const int EventsPerMinute = 1000;

    private const string Features = """
        settings:
          clock: event_time
          allowed_lateness: 5m
          tiles: [{ resolution: 1m, keep: 1h }]
        entities:
          user: user
        features:
          user_views: { entity: user, events: [view], aggregation: count, windows: [1m, 1h] }
          user_last_page: { entity: user, events: [view], aggregation: last, field: page, windows: [1h] }
        """;

    public static async Task<int> MainAsync(string[] args)
    {
        int events = ProbeSupport.Option(args, "--events", 3_000_000);
        int reports = ProbeSupport.Option(args, "--reports", 10);
        int rate = ProbeSupport.Option(args, "--rate", 20_000);
        if (ProbeSupport.Value(args, "--freshet") is { } dll)
        {
            ServeProcess.FreshetDllOverride = Path.GetFullPath(dll);
        }

        string root = Path.Combine(Path.GetTempPath(), "freshet-unique-keys-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(root);
        try
        {
            string features = Path.Combine(root, "features.yaml");
            await File.WriteAllTextAsync(features, Features);
            string data = Path.Combine(root, "data");
            using var serve = ServeProcess.Start("--data", data, "--features", features, "--checkpoint-interval", "1s");
            using var http = new HttpClient { BaseAddress = serve.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            string journal = Path.Combine(data, "ids.journal");
            long start = DateTimeOffset.UtcNow.AddDays(-60).ToUnixTimeMilliseconds();
            int every = Math.Max(EventsPerRequest, events / reports / EventsPerRequest * EventsPerRequest);
            Console.WriteLine($"{events:N0} events, each from a new user, {EventsPerMinute:N0} a simulated minute; tiles kept 1 h (about {60 * EventsPerMinute:N0} live users)");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var paused = TimeSpan.Zero;
            for (int first = 0; first < events; first += EventsPerRequest)
            {
                await ProbeSupport.PostEventsAsync(http, Body(start, first, Math.Min(EventsPerRequest, events - first)));
                var due = TimeSpan.FromSeconds((first + EventsPerRequest) / (double)rate);
                if (due > clock.Elapsed - paused)
                {
                    await Task.Delay(due - (clock.Elapsed - paused)); // Pacing: a rate, not a wait for a condition.
                }

                if ((first + EventsPerRequest) % every == 0)
                {
                    var pause = clock.Elapsed;
                    await Task.Delay(TimeSpan.FromSeconds(3)); // Lets a GC run; event time stands still meanwhile (nothing is freed).
                    ProbeSupport.Report($"after {first + EventsPerRequest:N0} events ({(first + EventsPerRequest) / EventsPerMinute / 60.0:0.0} simulated hours)", serve, journal);
                    paused += clock.Elapsed - pause;
                }
            }

            if (args.Contains("--verbose"))
            {
                serve.LinesContaining("checkpoint").TakeLast(20).ToList().ForEach(Console.WriteLine);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static string Body(long start, int first, int count)
    {
        var text = new StringBuilder(count * 130);
        for (int i = first; i < first + count; i++)
        {
            long time = start + ((long)i * 60_000 / EventsPerMinute);
            text.Append(CultureInfo.InvariantCulture,
                $"{{\"type\":\"view\",\"time\":{time},\"user\":\"user-{i:D9}-{i * 2_654_435_761L:x16}\",\"page\":\"/p/{i % 500}\"}}\n");
        }

        return text.ToString();
    }
}
