using Freshet.Engine.Ingest;
using Freshet.Time;
using Xunit.Abstractions;

namespace Freshet.Engine.Tests.Ingest;

/// <summary>The window's memory per id and its steady state, measured (printed) and bounded.</summary>
public sealed class DedupWindowTests(ITestOutputHelper output)
{
    private const long Horizon = 10 * Duration.Minute;

    /// <summary>Adds ids at a steady rate (one batch of <paramref name="perBatch"/> a second) for <paramref name="seconds"/> seconds.</summary>
    private static long Flow(DedupWindow window, ref ulong next, long fromMs, int seconds, int perBatch)
    {
        long now = fromMs;
        for (int s = 0; s < seconds; s++, now += Duration.Second)
        {
            if (!window.TryReserve(perBatch, now))
            {
                Assert.Fail($"refused at {s} s with {window.Count} ids in {window.Bytes} bytes"); // (a message built only on failure: this loop is measured)
            }

            for (int i = 0; i < perBatch; i++)
            {
                if (!window.TryAdd(Mix(++next), now))
                {
                    Assert.Fail($"id {next} was taken for a duplicate");
                }
            }
        }

        return now;
    }

    private static ulong Mix(ulong x)
    {
        // SplitMix64's finalizer: ids hashed as XXH64 hashes them, spread over all bits.
        x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9UL;
        x = (x ^ (x >> 27)) * 0x94d049bb133111ebUL;
        return Math.Max(1, x ^ (x >> 31));
    }

    [Fact]
    public void TryAdd_SteadyFlowOverTwoHorizons_HoldsAtMost22BytesPerId_AndAllocatesNothingOnceWarm()
    {
        var window = new DedupWindow(Horizon, 256L << 20);
        ulong next = 0;
        // 2,000 ids a second: 1.2 M ids per horizon, more than the old window's ~1 M.
        long now = Flow(window, ref next, 0, seconds: 1_300, perBatch: 2_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        now = Flow(window, ref next, now, seconds: 600, perBatch: 2_000);
        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;

        double bytesPerId = window.Bytes / (double)window.Count;
        output.WriteLine($"{window.Count:N0} ids in {window.Bytes:N0} bytes: {bytesPerId:0.0} bytes per id; "
            + $"{allocated:N0} bytes allocated for the last 1.2 M ids ({clock.Elapsed.TotalNanoseconds / 1_200_000:0} ns each, not asserted: "
            + $"the machine is shared); covers {Duration.Format(window.CoveredMs(now - Duration.Second))}");
        Assert.InRange(bytesPerId, 8, 22);
        // Ids of one horizon and at most one sub-generation more.
        Assert.InRange(window.Count, 1_200_000, 1_200_000 + (1_200_000 / DedupWindow.SubGenerations) + 2_000);
        // Nothing per id: even one byte per id would be 1.2 MB. Alone this allocates ~232 bytes; under a loaded full run
        // the runtime (tier-up of a method mid-measurement) was seen adding 8 KB on this thread once, so the bound is 64 KiB.
        Assert.True(allocated < 64 * 1024, $"{allocated:N0} bytes allocated in the steady state ({allocated / 1_200_000.0:0.000} per id)");
    }
}
