using System.Diagnostics;
using Freshet.Engine;
using Freshet.Events;

namespace Freshet.Benchmarks;

/// <summary>
/// Two measurements BenchmarkDotNet does not give directly: steady-state allocations per ingested event (all threads,
/// after warm-up; the check fails above the limit), and bytes per count tile with one million tiles.
/// </summary>
internal static class SteadyStateReport
{
    /// <summary>Allowed bytes per event: per-batch bookkeeping (a result record per 4096 events) rounds to well under this.</summary>
    public const double AllocationLimitBytesPerEvent = 0.5;

    /// <summary>Prints the steady-state allocation report; exit code 1 when it is over the limit.</summary>
    public static int CheckAllocations()
    {
        bool ingest = MeasureAllocations(Console.WriteLine) <= AllocationLimitBytesPerEvent;
        bool parse = MeasureParseAllocations(Console.WriteLine) <= AllocationLimitBytesPerEvent;
        return ingest && parse ? 0 : 1;
    }

    /// <summary>
    /// Bytes allocated per event in steady state when a request body is parsed and ingested, each event carrying a field
    /// no feature reads with a value never seen before: such values stay with the batch, so this allocates nothing.
    /// </summary>
    public static double MeasureParseAllocations(Action<string> log)
    {
        using var engine = new EngineHandle(BenchStream.NewEngine(2));
        _ = new BenchStream(engine.Engine); // Interns the users and items, as a server that has seen them would have.
        var bodies = new JsonBodies(4096, uniqueNotes: true);
        var parser = new EventJsonParser(engine.Engine.Strings);
        var batch = new EventBatch(4096);
        var errors = new List<EventError>();
        int strings = 0;
        long allocated = 0;
        for (int round = 0; round < 2; round++)
        {
            // The first round warms up (the batch's arrays grow, every user and item is seen); the second is measured.
            strings = engine.Engine.Strings.Count;
            long before = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 300; i++)
            {
                bodies.Renew();
                batch.Clear();
                parser.Parse(bodies.Body, batch, errors);
                engine.Engine.Ingest(batch);
            }

            engine.Engine.Flush(TimeSpan.FromMinutes(2));
            allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        }

        double perEvent = allocated / (300 * 4096.0);
        log($"parse + ingest, a new unused value per event: {allocated:N0} bytes allocated = {perEvent:F3} bytes/event (limit {AllocationLimitBytesPerEvent}); " +
            $"{engine.Engine.Strings.Count - strings:N0} strings interned while measured");
        return perEvent;
    }

    /// <summary>Bytes allocated per ingested event in steady state (all threads), with what allocates, line by line to <paramref name="log"/>.</summary>
    public static double MeasureAllocations(Action<string> log)
    {
        using var engine = new EngineHandle(BenchStream.NewEngine(2));
        // Every event carries an id, so the dedup window (lookups, inserts, generations turning and expiring) is measured too.
        var stream = new BenchStream(engine.Engine) { WithIds = true };
        var batch = new EventBatch(4096);
        // Warm-up well past the longest retention (3h simulated = 10.8M events; 8,000 batches are about 9h), so tables and
        // the sketch pools have stopped growing (the expiry sweep lags retention by up to a pass over the table) and tiles
        // expire as fast as they open: what is allocated after this is per-event garbage, not growth.
        for (int i = 0; i < 8_000; i++)
        {
            stream.Fill(batch, 4096);
            engine.Engine.Ingest(batch);
        }

        engine.Engine.Flush(TimeSpan.FromMinutes(2));
        const int measured = 500;
        using var sampler = new AllocationSampler { Enabled = true };
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < measured; i++)
        {
            stream.Fill(batch, 4096);
            engine.Engine.Ingest(batch);
        }

        engine.Engine.Flush(TimeSpan.FromMinutes(2));
        clock.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        double perEvent = (double)allocated / (measured * 4096.0);
        log($"steady state: {measured * 4096:N0} events in {clock.Elapsed.TotalSeconds:F2} s ({measured * 4096 / clock.Elapsed.TotalSeconds:N0} events/s incl. generation), " +
            $"{allocated:N0} bytes allocated = {perEvent:F3} bytes/event (limit {AllocationLimitBytesPerEvent})");
        var dedup = engine.Engine.GetStats().Dedup;
        log($"dedup window: {dedup.Ids:N0} ids in {dedup.Bytes:N0} bytes = {(double)dedup.Bytes / Math.Max(1, dedup.Ids):F1} bytes per id, "
            + $"covering {Freshet.Time.Duration.Format(dedup.CoveredMs)} of {Freshet.Time.Duration.Format(dedup.HorizonMs)}, {dedup.RefusedBatches} batches refused");
        sampler.Enabled = false;
        foreach (var (type, bytes) in sampler.Top(8))
        {
            log($"  sampled {bytes,14:N0} bytes  {type}");
        }

        return perEvent;
    }

    public static int TileMemory()
    {
        using var engine = new EngineHandle(BenchStream.NewEngine(1));
        var strings = engine.Engine.Strings;
        int type = strings.GetOrAdd("view"), item = strings.GetOrAdd("item"), price = strings.GetOrAdd("price");
        var ids = Enumerable.Range(0, 1_000_000).Select(i => strings.GetOrAdd($"m{i}")).ToArray();
        var batch = new EventBatch(4096);
        for (int start = 0; start < ids.Length; start += 4096)
        {
            batch.Clear();
            for (int i = start; i < Math.Min(ids.Length, start + 4096); i++)
            {
                batch.BeginEvent(type, 1_763_719_200_000);
                batch.AddString(item, ids[i]);
                batch.AddNumber(price, 1);
                batch.EndEvent();
            }

            engine.Engine.Ingest(batch);
        }

        engine.Engine.Flush(TimeSpan.FromMinutes(2));
        foreach (string name in new[] { "item_views", "item_revenue" })
        {
            engine.Engine.Catalog.TryGetFeature(name, out var feature);
            var (tiles, bytes, _) = engine.Engine.Footprint(feature);
            Console.WriteLine($"{name}: {tiles:N0} tiles, {bytes:N0} bytes in tile tables = {(double)bytes / tiles:F1} bytes per tile (all slots, including empty ones)");
        }

        return 0;
    }

    private sealed class EngineHandle(FreshetEngine engine) : IDisposable
    {
        public FreshetEngine Engine { get; } = engine;

        public void Dispose() => Engine.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
