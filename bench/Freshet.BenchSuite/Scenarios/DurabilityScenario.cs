using System.Diagnostics;
using Freshet.Benchmarks;
using Freshet.BenchSuite.Suite;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// The cost of durability, measured in one run so the ratios hold on a noisy machine: the five-feature workload in
/// batches of 4,096 (bulk) and in acknowledged batches of 100 from 8 concurrent producers (what HTTP clients do), in
/// memory and under each durability policy; then recovery: a checkpoint of about 10 M count tiles (1 M in a quick
/// run), and the time a restart takes to load it and to replay a million events logged after it. Data directories go
/// under the system temp folder (or FRESHET_BENCH_DIR) and are deleted afterwards.
/// </summary>
internal sealed class DurabilityScenario : IScenario
{
    public string Name => "Durability and recovery";

    public Task RunAsync(SuiteContext context)
    {
        var options = context.Options;
        int batches = options.Quick ? 200 : 600;
        double seconds = options.Quick ? 1 : 4;
        // A short round first, unreported, so every mode is measured with the code already tiered up (JIT and PGO).
        Bulk(null, batches: 100);
        Acknowledged(Engine.Storage.Durability.Always, seconds: 0.5);
        var policies = new Durability?[] { null, Engine.Storage.Durability.None, Engine.Storage.Durability.Interval, Engine.Storage.Durability.Always };
        var bulk = policies.ToDictionary(p => p?.ToString() ?? "memory", p => context.Figure(Name, $"bulk ingest, {Label(p)}", "events/s", Better.Higher));
        var acked = policies.ToDictionary(p => p?.ToString() ?? "memory", p => context.Figure(Name, $"acknowledged ingest (8 producers × 100 events), {Label(p)}", "events/s", Better.Higher));
        var logBytes = context.Figure(Name, "log bytes per event", "bytes", Better.Lower);
        for (int run = 0; run < (options.Quick ? 2 : 3); run++)
        {
            foreach (var policy in policies)
            {
                string key = policy?.ToString() ?? "memory";
                var (events, bytesPerEvent) = Bulk(policy, batches);
                bulk[key].Samples.Add(events);
                acked[key].Samples.Add(Acknowledged(policy, seconds));
                if (policy == Engine.Storage.Durability.Always)
                {
                    logBytes.Samples.Add(bytesPerEvent);
                }
            }

            context.Log($"  run {run + 1}: bulk {string.Join(", ", bulk.Select(b => $"{b.Key} {b.Value.Samples[^1]:N0}"))}; acknowledged {string.Join(", ", acked.Select(a => $"{a.Key} {a.Value.Samples[^1]:N0}"))}");
        }

        Recovery(context, options.RecoveryTiles);
        return Task.CompletedTask;
    }

    private static string Label(Durability? policy) => policy is null ? "in memory" : $"durability {policy.ToString()!.ToLowerInvariant()}";

    private void Recovery(SuiteContext context, long tiles)
    {
        string directory = NewDirectory();
        try
        {
            var definitions = FeatureDefinitionLoader.Parse("""
                settings:
                  clock: event_time
                  allowed_lateness: 1m
                  max_future: 100000d
                  tiles:
                    - { resolution: 1m, keep: 3h }
                    - { resolution: 1h, keep: 2d }
                entities: { item: item }
                features:
                  item_views: { entity: item, events: [view], aggregation: count, windows: [1h, 24h] }
                """, "recovery-bench.yaml");
            var options = new EngineOptions
            {
                ShardCount = 2,
                Storage = new StorageOptions { Directory = directory, Durability = Engine.Storage.Durability.None, CheckpointInterval = TimeSpan.Zero },
            };

            // Each item gets two minute tiles (the hour tiles come when they close, after the checkpoint): half as many items as tiles,
            // a worst case for the id journal (real keys have many more tiles each).
            int items = (int)Math.Max(1, tiles / 2);
            var build = Stopwatch.StartNew();
            long logged = 0;
            using (var handle = new Handle(FreshetEngine.Open(definitions, options)))
            {
                var engine = handle.Engine;
                int type = engine.Strings.GetOrAdd("view"), item = engine.Strings.GetOrAdd("item");
                var keys = Enumerable.Range(0, items).Select(i => engine.Strings.GetOrAdd($"item-{i}")).ToArray();
                var batch = new EventBatch(4096);
                long time = 1_763_719_200_000;
                // Two minutes of event time per item sweep: every item gets two minute tiles and one hour tile.
                for (int sweep = 0; sweep < 2; sweep++, time += 60_000)
                {
                    for (int start = 0; start < keys.Length; start += 4096)
                    {
                        batch.Clear();
                        for (int i = start; i < Math.Min(keys.Length, start + 4096); i++)
                        {
                            batch.BeginEvent(type, time + (i % 1000));
                            batch.AddString(item, keys[i]);
                            batch.EndEvent();
                        }

                        logged += engine.Ingest(batch).Accepted;
                    }
                }

                engine.Flush(TimeSpan.FromMinutes(5));
                engine.CheckpointAsync().GetAwaiter().GetResult();
                // A tail of a million events after the checkpoint, which a restart replays.
                for (int n = 0; n < 1_000_000; n += 4096)
                {
                    batch.Clear();
                    for (int i = 0; i < 4096; i++)
                    {
                        batch.BeginEvent(type, time + 1000);
                        batch.AddString(item, keys[(n + i) % keys.Length]);
                        batch.EndEvent();
                    }

                    logged += engine.Ingest(batch).Accepted;
                }

                engine.Flush(TimeSpan.FromMinutes(5));
                handle.Abandon(); // As a crash: no checkpoint at shutdown, so the tail stays in the log only.
            }

            context.Log($"  recovery: built {logged:N0} events in {build.Elapsed.TotalSeconds:F1} s; data directory {DirectorySize(directory) / 1048576.0:N0} MiB");
            var open = Stopwatch.StartNew();
            using var reopened = new Handle(FreshetEngine.Open(definitions, options));
            open.Stop();
            var report = reopened.Engine.Recovery!;
            string size = tiles >= 1_000_000 ? $"{tiles / 1_000_000} M" : $"{tiles:N0}";
            context.Figure(Name, $"restart with {size} tiles in the checkpoint (ids, tiles and 1 M events of log replayed)", "s", Better.Lower, target: tiles >= 10_000_000 ? 5 : null)
                .Samples.Add(open.Elapsed.TotalSeconds);
            context.Figure(Name, $"  of which: loading {report.Tiles:N0} tiles", "s", Better.Lower).Samples.Add(report.LoadTime.TotalSeconds);
            context.Figure(Name, "  of which: loading the ids (half as many keys as tiles: a worst case)", "s", Better.Lower).Samples.Add(report.IdsTime.TotalSeconds);
            context.Figure(Name, "  log replay", "events/s", Better.Higher).Samples.Add(report.ReplayedEvents / Math.Max(report.ReplayTime.TotalSeconds, 1e-9));
            context.Log($"  restart: {open.Elapsed.TotalSeconds:F2} s in all; ids {report.IdsTime.TotalSeconds:F2} s, checkpoint of {report.Tiles:N0} tiles {report.LoadTime.TotalSeconds:F2} s, "
                + $"{report.ReplayedEvents:N0} events replayed in {report.ReplayTime.TotalSeconds:F2} s");
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static (double EventsPerSecond, double LogBytesPerEvent) Bulk(Durability? policy, int batches)
    {
        string directory = NewDirectory();
        try
        {
            using var handle = new Handle(Open(policy, directory));
            var engine = handle.Engine;
            var stream = new BenchStream(engine);
            var batch = new EventBatch(4096);
            for (int i = 0; i < 100; i++)
            {
                stream.Fill(batch, 4096);
                engine.WaitDurableAsync(engine.Ingest(batch)).GetAwaiter().GetResult();
            }

            engine.Flush(TimeSpan.FromMinutes(2));
            long logBefore = engine.GetStorageStats()?.LogBytes ?? 0;
            var clock = Stopwatch.StartNew();
            Task durable = Task.CompletedTask;
            for (int i = 0; i < batches; i++)
            {
                stream.Fill(batch, 4096);
                durable = engine.WaitDurableAsync(engine.Ingest(batch));
            }

            durable.GetAwaiter().GetResult();
            engine.Flush(TimeSpan.FromMinutes(2));
            clock.Stop();
            long events = batches * 4096L;
            long logBytes = (engine.GetStorageStats()?.LogBytes ?? 0) - logBefore;
            return (events / clock.Elapsed.TotalSeconds, (double)logBytes / events);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static double Acknowledged(Durability? policy, double seconds)
    {
        string directory = NewDirectory();
        try
        {
            using var handle = new Handle(Open(policy, directory));
            var engine = handle.Engine;
            // One stream, one producer lock: the generator is not thread-safe; ingest and the durability wait are the producers' own.
            var stream = new BenchStream(engine);
            var gate = new object();
            long events = 0;
            var stop = Stopwatch.StartNew();
            // Producers are threads of their own, like separate clients: on the thread pool, eight of them blocking on
            // the lock would measure pool starvation, not the engine.
            var producers = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
            {
                var batch = new EventBatch(128);
                while (stop.Elapsed.TotalSeconds < seconds)
                {
                    Freshet.Seams.IngestResult result;
                    lock (gate)
                    {
                        stream.Fill(batch, 100);
                        result = engine.Ingest(batch);
                    }

                    engine.WaitDurableAsync(result).GetAwaiter().GetResult();
                    Interlocked.Add(ref events, result.Accepted);
                }
            })).ToArray();
            foreach (var producer in producers)
            {
                producer.Start();
            }

            foreach (var producer in producers)
            {
                producer.Join();
            }

            return events / stop.Elapsed.TotalSeconds;
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static FreshetEngine Open(Durability? policy, string directory) =>
        FreshetEngine.Create(FeatureDefinitionLoader.Parse(BenchStream.Features, "bench.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Storage = policy is { } p ? new StorageOptions { Directory = directory, Durability = p, CheckpointInterval = TimeSpan.Zero } : null,
        });

    private static string NewDirectory() =>
        Path.Combine(Environment.GetEnvironmentVariable("FRESHET_BENCH_DIR") ?? Path.GetTempPath(), "freshet-bench-" + Guid.NewGuid().ToString("N"));

    private static long DirectorySize(string directory) =>
        new DirectoryInfo(directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);

    /// <summary>Disposes the engine (a clean shutdown with its last checkpoint) unless abandoned, as a crash would leave it.</summary>
    private sealed class Handle(FreshetEngine engine) : IDisposable
    {
        private bool _abandoned;

        public FreshetEngine Engine { get; } = engine;

        public void Abandon()
        {
            _abandoned = true;
            Engine.SimulateCrash();
        }

        public void Dispose()
        {
            if (!_abandoned)
            {
                Engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
    }
}
