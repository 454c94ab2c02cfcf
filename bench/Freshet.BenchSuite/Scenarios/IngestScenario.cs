using System.Diagnostics;
using Freshet.Benchmarks;
using Freshet.BenchSuite.Suite;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Events;
using Freshet.Features;
using StackExchange.Redis;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// Ingest and aggregate in process: the five-feature workload (a count, a sum, a distinct, a site-wide top-k and a
/// last-k per event) in batches of 4,096, in memory and through the event log; the peer applies the same events to
/// Redis as pipelined HINCRBY, HINCRBYFLOAT, PFADD, ZINCRBY and LPUSH+LTRIM on hourly keys.
/// </summary>
internal sealed class IngestScenario : IScenario
{
    private const int BatchSize = 4096;

    public string Name => "Ingest and aggregate in process";

    public Task RunAsync(SuiteContext context)
    {
        var options = context.Options;
        var memory = context.Figure(Name, "ingest + aggregate, 5 features/event, in memory", "events/s", Better.Higher);
        var logged = context.Figure(Name, "ingest + log + aggregate, 5 features/event, durability always", "events/s", Better.Higher, target: 1_000_000);
        context.Notes.Add("In the way of 1 M events/s in process (perf of this scenario): two cores run the producer, the log writer and two shard threads, "
            + "and no single place dominates: tile updates (Shard.ApplyItem) about 10 % of CPU, zeroing fresh pages as tile tables grow 7 %, roll-ups 4 %, "
            + "the log encoder 4 %, the expiry sweep 3 %, generating the events 2 %.");
        memory.Note = "peer: Redis without persistence";
        for (int run = 0; run < options.Runs; run++)
        {
            memory.Samples.Add(MeasureEngine(options.MeasureSeconds, durable: false));
            logged.Samples.Add(MeasureEngine(options.MeasureSeconds, durable: true));
            if (context.Redis is { } redis)
            {
                redis.FlushAll();
                memory.PeerSamples.Add(MeasureRedis(redis.Database, options.MeasureSeconds));
            }

            context.Log($"  run {run + 1}: {memory.Samples[^1]:N0} events/s in memory, {logged.Samples[^1]:N0} logged"
                + (memory.PeerSamples.Count > run ? $", Redis {memory.PeerSamples[^1]:N0}" : ""));
        }

        context.Notes.Add("Ingest figures include generating the events (about 150 ns an event on one core, measured by the FillOnly micro benchmark).");
        return Task.CompletedTask;
    }

    private static double MeasureEngine(double seconds, bool durable)
    {
        string directory = Path.Combine(Path.GetTempPath(), "freshet-bench-" + Guid.NewGuid().ToString("N"));
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(BenchStream.Features, "bench.yaml"), new EngineOptions
        {
            ShardCount = 2,
            Storage = durable ? new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero } : null,
        });
        try
        {
            var stream = new BenchStream(engine);
            var batch = new EventBatch(BatchSize);
            for (int i = 0; i < 100; i++)
            {
                stream.Fill(batch, BatchSize);
                engine.Ingest(batch);
            }

            engine.Flush(TimeSpan.FromMinutes(2));
            long events = 0;
            Task durableTask = Task.CompletedTask;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                stream.Fill(batch, BatchSize);
                durableTask = engine.WaitDurableAsync(engine.Ingest(batch));
                events += BatchSize;
            }

            durableTask.GetAwaiter().GetResult();
            engine.Flush(TimeSpan.FromMinutes(2));
            return events / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            engine.SimulateCrash(); // No last checkpoint to wait for: the figure is taken.
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static double MeasureRedis(IDatabase redis, double seconds)
    {
        // The same generator; an engine only for its string table (nothing is ingested into it).
        var strings = FreshetEngine.Create(FeatureDefinitionLoader.Parse(BenchStream.Features, "bench.yaml"), new EngineOptions { ShardCount = 1 });
        try
        {
            var stream = new BenchStream(strings);
            var batch = new EventBatch(BatchSize);
            int item = strings.Strings.GetOrAdd("item"), user = strings.Strings.GetOrAdd("user"), price = strings.Strings.GetOrAdd("price");
            var inFlight = new Queue<Task>();
            for (int i = 0; i < 10; i++)
            {
                stream.Fill(batch, BatchSize);
                Apply(redis, batch, strings.Strings, item, user, price).GetAwaiter().GetResult();
            }

            long events = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                stream.Fill(batch, BatchSize);
                inFlight.Enqueue(Apply(redis, batch, strings.Strings, item, user, price));
                if (inFlight.Count > 4)
                {
                    inFlight.Dequeue().GetAwaiter().GetResult(); // A few pipelines in flight, as a consumer would keep.
                }

                events += BatchSize;
            }

            Task.WaitAll(inFlight);
            return events / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            strings.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The five features as most teams would keep them in Redis, one pipeline per batch.</summary>
    private static Task Apply(IDatabase redis, EventBatch events, StringInterner strings, int itemField, int userField, int priceField)
    {
        var pipeline = redis.CreateBatch();
        var tasks = new Task[events.Count * 6];
        int t = 0;
        for (int i = 0; i < events.Count; i++)
        {
            events.TryGetField(i, itemField, out var itemValue);
            events.TryGetField(i, userField, out var userValue);
            events.TryGetField(i, priceField, out var priceValue);
            string item = strings[itemValue.StringId], user = strings[userValue.StringId];
            long hour = events[i].TimeMs / 3_600_000;
            string itemKey = "item:" + item;
            tasks[t++] = pipeline.HashIncrementAsync(itemKey, "views:" + hour, 1, CommandFlags.None);
            tasks[t++] = pipeline.HashIncrementAsync(itemKey, "revenue:" + hour, priceValue.Number, CommandFlags.None);
            tasks[t++] = pipeline.HyperLogLogAddAsync(itemKey + ":viewers:" + hour, user);
            tasks[t++] = pipeline.SortedSetIncrementAsync("site:top:" + hour, item, 1);
            string recent = "user:" + user + ":recent";
            tasks[t++] = pipeline.ListLeftPushAsync(recent, item);
            tasks[t++] = pipeline.ListTrimAsync(recent, 0, 9);
        }

        pipeline.Execute();
        return Task.WhenAll(tasks);
    }
}
