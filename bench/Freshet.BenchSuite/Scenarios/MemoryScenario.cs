using System.Diagnostics;
using System.Text.Json;
using Freshet.BenchSuite.Suite;
using Freshet.Engine;
using Freshet.Events;
using Freshet.Features;
using StackExchange.Redis;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// Memory: count tiles (ten minute tiles per key, so key strings are shared as in real use) built in a fresh process,
/// measured as tile-table bytes per tile and as the process's resident-memory growth per tile (everything included:
/// keys, ids, tables); the peer holds the same counters as fields of one Redis hash per key (INFO used_memory).
/// </summary>
internal sealed class MemoryScenario : IScenario
{
    private const int TilesPerKey = 10;

    private const string Yaml = """
        settings: { clock: event_time, allowed_lateness: 1h, max_future: 100000d, tiles: [{ resolution: 1m, keep: 1d }] }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    public string Name => "Memory";

    public Task RunAsync(SuiteContext context)
    {
        foreach (long tiles in context.Options.MemoryTiles)
        {
            string size = tiles >= 1_000_000 ? $"{tiles / 1_000_000} M" : $"{tiles:N0}";
            var table = context.Figure(Name, $"bytes per count tile, tile tables ({size} tiles)", "bytes", Better.Lower, target: 48);
            var perTile = context.Figure(Name, $"process memory growth per tile, all included ({size} tiles, {TilesPerKey} per key)", "bytes", Better.Lower, target: 48);
            var rss = context.Figure(Name, $"process RSS with {size} tiles", "MiB", Better.Lower);
            perTile.Note = "peer: Redis used_memory per counter field";
            // One run: building ten million tiles takes long, and memory does not vary from run to run as time does.
            var child = Child(tiles, context);
            table.Samples.Add(child.GetProperty("table_bytes").GetDouble() / child.GetProperty("tiles").GetDouble());
            perTile.Samples.Add((child.GetProperty("rss_after").GetDouble() - child.GetProperty("rss_before").GetDouble()) / child.GetProperty("tiles").GetDouble());
            rss.Samples.Add(child.GetProperty("rss_after").GetDouble() / (1 << 20));
            if (context.Redis is { } redis)
            {
                redis.FlushAll();
                long before = redis.Memory().UsedMemory;
                FillRedis(redis.Database, tiles);
                perTile.PeerSamples.Add((double)(redis.Memory().UsedMemory - before) / tiles);
                redis.FlushAll();
            }

            context.Log($"  {size} tiles: {table.Samples[0]:N1} bytes a tile in tables, {perTile.Samples[0]:N1} bytes a tile of process memory, RSS {rss.Samples[0]:N0} MiB"
                + (perTile.PeerSamples.Count > 0 ? $"; Redis {perTile.PeerSamples[0]:N1} bytes a counter" : ""));
        }

        context.Notes.Add("Memory all included is over the 48-byte budget while the tile tables are within it: the rest of the growth is not broken "
            + "down yet. It holds the keys' strings and the string table, the open-tile index, and the managed heap's headroom, including each "
            + "table's previous array after a doubling until the GC returns it.");
        return Task.CompletedTask;
    }

    /// <summary>In the child process: builds the tiles and prints the footprint as one JSON line.</summary>
    public static int Child(long tiles)
    {
        long rssBefore = Rss();
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(Yaml, "memory.yaml"), new EngineOptions { ShardCount = 2 });
        var strings = engine.Strings;
        int view = strings.GetOrAdd("view"), item = strings.GetOrAdd("item");
        long keys = tiles / TilesPerKey;
        var batch = new EventBatch(4096);
        long start = 1_763_719_200_000;
        for (int minute = 0; minute < TilesPerKey; minute++)
        {
            for (long first = 0; first < keys; first += 4096)
            {
                batch.Clear();
                for (long k = first; k < Math.Min(keys, first + 4096); k++)
                {
                    batch.BeginEvent(view, start + (minute * 60_000));
                    batch.AddString(item, strings.GetOrAdd($"item-{k}"));
                    batch.EndEvent();
                }

                engine.Ingest(batch);
            }
        }

        engine.Flush(TimeSpan.FromMinutes(10));
        engine.Catalog.TryGetFeature("item_views", out var feature);
        var (count, bytes, _) = engine.Footprint(feature);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        long rssAfter = Rss();
        Console.WriteLine(JsonSerializer.Serialize(new { tiles = count, table_bytes = bytes, rss_before = rssBefore, rss_after = rssAfter }));
        GC.KeepAlive(engine);
        return 0;
    }

    private static long Rss()
    {
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    private static JsonElement Child(long tiles, SuiteContext context)
    {
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "freshet-bench.dll"));
        info.ArgumentList.Add("memory-child");
        info.ArgumentList.Add(tiles.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        string? last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        if (process.ExitCode != 0 || last is null)
        {
            throw new InvalidOperationException($"the memory child failed ({process.ExitCode}):\n{output}\n{error}");
        }

        context.Log($"  child: {last}");
        return JsonDocument.Parse(last).RootElement.Clone();
    }

    private static void FillRedis(IDatabase db, long tiles)
    {
        long keys = tiles / TilesPerKey;
        var inFlight = new Queue<Task>();
        for (long first = 0; first < keys; first += 2048)
        {
            var pipeline = db.CreateBatch();
            var tasks = new List<Task>();
            for (long k = first; k < Math.Min(keys, first + 2048); k++)
            {
                string key = $"item-{k}";
                for (int minute = 0; minute < TilesPerKey; minute++)
                {
                    tasks.Add(pipeline.HashIncrementAsync(key, "m" + minute, 1));
                }
            }

            pipeline.Execute();
            inFlight.Enqueue(Task.WhenAll(tasks));
            if (inFlight.Count > 4)
            {
                inFlight.Dequeue().GetAwaiter().GetResult();
            }
        }

        Task.WaitAll(inFlight);
    }
}
