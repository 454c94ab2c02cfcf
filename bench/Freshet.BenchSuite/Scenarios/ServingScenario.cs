using System.Diagnostics;
using Freshet.BenchSuite.Suite;
using Freshet.BenchSuite.Workload;
using Freshet.Engine;
using Freshet.Events;
using Freshet.Reading;
using Freshet.Seams;
using StackExchange.Redis;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// Serving in process: the 20-feature vector of one item, and of a batch of 100 items, read while ingest goes on at a
/// steady rate; the peer answers the same reads from hourly counters (HMGET of every hour field the 20 windows
/// cover), with its own ingest going on.
/// </summary>
internal sealed class ServingScenario : IScenario
{
    private const int IngestRate = 50_000;
    private const int BatchKeys = 100;

    public string Name => "Serving in process";

    public async Task RunAsync(SuiteContext context)
    {
        var options = context.Options;
        int preload = options.Quick ? 400_000 : 2_000_000;
        long stepMs = 48L * 3_600_000 / preload; // Two days of events: the day windows are full.
        var one50 = context.Figure(Name, "20-feature vector, one key, p50", "µs", Better.Lower);
        var one99 = context.Figure(Name, "20-feature vector, one key, p99", "µs", Better.Lower, target: 10);
        var batch50 = context.Figure(Name, $"20-feature vectors, batch of {BatchKeys} keys, p50", "µs", Better.Lower);
        var batch99 = context.Figure(Name, $"20-feature vectors, batch of {BatchKeys} keys, p99", "µs", Better.Lower);
        foreach (var f in new[] { one50, one99, batch50, batch99 })
        {
            f.Note = "peer: HMGET of 250 hourly fields over loopback";
        }

        await using var engine = FreshetEngine.Create(ServingWorkload.Definitions, new EngineOptions { ShardCount = 2 });
        var workload = new ServingWorkload(seed: 7, startMs: 1_763_719_200_000);
        var peerWorkload = new ServingWorkload(seed: 7, startMs: 1_763_719_200_000);
        Preload(engine, workload, preload, stepMs);
        if (context.Redis is { } redis)
        {
            redis.FlushAll();
            PeerPreload(redis.Database, peerWorkload, preload, stepMs);
        }

        context.Log($"  preloaded {preload:N0} events over two days");
        for (int run = 0; run < options.Runs; run++)
        {
            var batch = new EventBatch(SteadyIngest.Chunk);
            var chunk = new (string, long, string, string, double)[SteadyIngest.Chunk];
            using (new SteadyIngest(() =>
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    chunk[i] = workload.Next(stepMs);
                }

                ServingWorkload.Fill(batch, engine.Strings, chunk);
                engine.Ingest(batch);
            }))
            {
                var (one, many) = Measure(options.MeasureSeconds, new Random(run), workload, key => engine.Reader.ReadVector("item", [key]).ValueOrThrow(), keys =>
                {
                    // As POST /v1/vectors reads them: one batch read, one lock hold per shard.
                    var results = new ReadResult<FeatureVector>[keys.Length];
                    engine.Reader.ReadVectors("item", keys.Select(key => (IReadOnlyList<string>)[key]).ToArray(), null, results);
                    foreach (var result in results)
                    {
                        result.ValueOrThrow();
                    }
                });
                one50.Samples.Add(one.At(0.5));
                one99.Samples.Add(one.At(0.99));
                batch50.Samples.Add(many.At(0.5));
                batch99.Samples.Add(many.At(0.99));
            }

            if (context.Redis is { } peer)
            {
                var db = peer.Database;
                using var ingest = new SteadyIngest(() =>
                    PeerApply(db, Enumerable.Range(0, SteadyIngest.Chunk).Select(_ => peerWorkload.Next(stepMs)).ToArray()).GetAwaiter().GetResult());
                var (one, many) = Measure(options.MeasureSeconds, new Random(run), peerWorkload,
                    key => db.HashGet("item:" + key, Fields(peerWorkload)),
                    keys =>
                    {
                        var fields = Fields(peerWorkload);
                        var pipeline = db.CreateBatch();
                        var reads = keys.Select(k => pipeline.HashGetAsync("item:" + k, fields)).ToArray();
                        pipeline.Execute();
                        Task.WaitAll(reads);
                    });
                one50.PeerSamples.Add(one.At(0.5));
                one99.PeerSamples.Add(one.At(0.99));
                batch50.PeerSamples.Add(many.At(0.5));
                batch99.PeerSamples.Add(many.At(0.99));
            }

            context.Log($"  run {run + 1}: one key p50 {one50.Samples[^1]:N1} µs p99 {one99.Samples[^1]:N1} µs; {BatchKeys} keys p99 {batch99.Samples[^1]:N0} µs"
                + (one99.PeerSamples.Count > run ? $"; Redis one key p99 {one99.PeerSamples[^1]:N0} µs" : ""));
        }

        context.Notes.Add($"Serving reads run on one thread while {IngestRate:N0} events/s are ingested; the vector is 20 features (10 over the last hour, 10 over the last day) of an item drawn by popularity.");
        if (one99.MeetsTarget == false)
        {
            // What perf showed when this budget line was worked on (bench suite `profile-read`, perf with a perf map).
            context.Notes.Add("In the way of the in-process read budget (perf of `freshet-bench profile-read`): 60 % of a vector read is in Shard.MergeSpan, "
                + "about 700 tile lookups for the 20 windows (a 1-hour window's old edge is up to 59 minute tiles; a day window 23 hour tiles), "
                + "70 % of them for tiles that are absent, most of them a cache miss into 100 MB of tile tables. Open coarse tiles already hold the "
                + "closed fine tiles (that halved the lookups); software prefetching and probing a group of 8 buckets in one walk did not help on this VM.");
        }
    }

    /// <summary>For profiling the read path: the preloaded serving engine, read in a loop for <paramref name="seconds"/>.</summary>
    public static int ProfileReads(double seconds)
    {
        var engine = FreshetEngine.Create(ServingWorkload.Definitions, new EngineOptions { ShardCount = 2 });
        var workload = new ServingWorkload(seed: 7, startMs: 1_763_719_200_000);
        Preload(engine, workload, 400_000, 48L * 3_600_000 / 400_000);
        var random = new Random(1);
        var clock = Stopwatch.StartNew();
        long reads = 0;
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            engine.Reader.ReadVector("item", [workload.Key(random)]).ValueOrThrow();
            reads++;
        }

        Console.WriteLine($"{reads / clock.Elapsed.TotalSeconds:N0} vectors/s ({clock.Elapsed.TotalMilliseconds * 1000 / reads:N1} µs each)");
        return 0;
    }

    private static RedisValue[] Fields(ServingWorkload workload) =>
        [.. ServingWorkload.PeerFields(workload.ClockMs / 3_600_000).Select(f => (RedisValue)f)];

    private static (Percentiles One, Percentiles Batch) Measure(double seconds, Random random, ServingWorkload workload, Action<string> readOne, Action<string[]> readBatch)
    {
        var one = new Percentiles();
        var batch = new Percentiles();
        var keys = new string[BatchKeys];
        double tick = 1e6 / Stopwatch.Frequency;
        for (int warm = 0; warm < 2_000; warm++)
        {
            readOne(workload.Key(random));
        }

        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds / 2)
        {
            string key = workload.Key(random);
            long start = Stopwatch.GetTimestamp();
            readOne(key);
            one.Add((Stopwatch.GetTimestamp() - start) * tick);
        }

        while (clock.Elapsed.TotalSeconds < seconds)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                keys[i] = workload.Key(random);
            }

            long start = Stopwatch.GetTimestamp();
            readBatch(keys);
            batch.Add((Stopwatch.GetTimestamp() - start) * tick);
        }

        return (one, batch);
    }

    private static void Preload(FreshetEngine engine, ServingWorkload workload, int events, long stepMs)
    {
        var batch = new EventBatch(4096);
        var chunk = new (string, long, string, string, double)[4096];
        for (int done = 0; done < events; done += chunk.Length)
        {
            for (int i = 0; i < chunk.Length; i++)
            {
                chunk[i] = workload.Next(stepMs);
            }

            ServingWorkload.Fill(batch, engine.Strings, chunk);
            engine.Ingest(batch);
        }

        engine.Flush(TimeSpan.FromMinutes(5));
    }

    private static void PeerPreload(IDatabase db, ServingWorkload workload, int events, long stepMs)
    {
        for (int done = 0; done < events; done += 4096)
        {
            PeerApply(db, Enumerable.Range(0, 4096).Select(_ => workload.Next(stepMs)).ToArray()).GetAwaiter().GetResult();
        }
    }

    /// <summary>The peer's ingest: HINCRBY (counts) and HINCRBYFLOAT (sums) on the event's hour fields, one pipeline per batch.</summary>
    internal static Task PeerApply(IDatabase db, (string Type, long TimeMs, string Item, string User, double Price)[] events)
    {
        var pipeline = db.CreateBatch();
        var tasks = new List<Task>(events.Length * 3);
        foreach (var e in events)
        {
            long hour = e.TimeMs / 3_600_000;
            string key = "item:" + e.Item;
            tasks.Add(pipeline.HashIncrementAsync(key, ServingWorkload.PeerField(e.Type, "count", false, hour), 1));
            if (e.Type is "cart" or "purchase")
            {
                tasks.Add(pipeline.HashIncrementAsync(key, ServingWorkload.PeerField(e.Type, "sum", false, hour), e.Price));
            }

            if (e.Price > 50 && e.Type is "view" or "cart" or "purchase")
            {
                tasks.Add(pipeline.HashIncrementAsync(key, ServingWorkload.PeerField(e.Type, "count", true, hour), 1));
            }
        }

        pipeline.Execute();
        return Task.WhenAll(tasks);
    }

    /// <summary>
    /// Ingest at <see cref="IngestRate"/> events a second on a thread of its own, until disposed: <c>send</c> sends
    /// <see cref="Chunk"/> events (into the engine, or to the peer) and is called as often as the rate allows.
    /// </summary>
    private sealed class SteadyIngest : IDisposable
    {
        public const int Chunk = 1000;

        private readonly Thread _thread;
        private volatile bool _stop;

        public SteadyIngest(Action send)
        {
            _thread = new Thread(() =>
            {
                var clock = Stopwatch.StartNew();
                long sent = 0;
                while (!_stop)
                {
                    if (sent > IngestRate * clock.Elapsed.TotalSeconds)
                    {
                        Thread.Sleep(1); // Pacing to a rate: ahead of schedule, wait for the clock.
                        continue;
                    }

                    send();
                    sent += Chunk;
                }
            }) { IsBackground = true, Name = "bench-steady-ingest" };
            _thread.Start();
        }

        public void Dispose()
        {
            _stop = true;
            _thread.Join();
        }
    }
}
