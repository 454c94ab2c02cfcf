using System.Globalization;
using System.Text;
using Freshet.BenchSuite.Suite;

namespace Freshet.BenchSuite.Scenarios;

/// <summary>
/// <c>freshet-bench unique-strings [--events N] [--rejected N] [--freshet DLL]</c>: what strings nothing needs cost the
/// real server. Starts <c>freshet serve --data DIR</c> with the sample features, posts N accepted events whose one unused
/// field (<c>note</c>) has a unique value each, then N rejected events (no <c>time</c>) carrying 8 unique 1 KB values,
/// and prints the server's RSS and ids.journal size before and after each and after 15 s idle; then the same after an
/// overload of large requests from 8 clients at once. <c>--freshet</c> runs another build's
/// <c>freshet.dll</c> (an older commit, for a before/after figure).
/// </summary>
internal static class UniqueStringsProbe
{
    private const int EventsPerRequest = 5000;
    private const int RejectedPerRequest = 500;

    public static async Task<int> MainAsync(string[] args)
    {
        int events = ProbeSupport.Option(args, "--events", 1_000_000);
        int rejected = ProbeSupport.Option(args, "--rejected", 44_000);
        if (ProbeSupport.Value(args, "--freshet") is { } dll)
        {
            ServeProcess.FreshetDllOverride = Path.GetFullPath(dll);
        }

        string data = Path.Combine(Path.GetTempPath(), "freshet-unique-strings-" + Guid.NewGuid().ToString("N"));
        try
        {
            using var serve = ServeProcess.Start("--data", data, "--checkpoint-interval", "2s");
            using var http = new HttpClient { BaseAddress = serve.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
            string journal = Path.Combine(data, "ids.journal");
            long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            // A few accepted events first, so "before" includes the server's warm working set rather than its bare start.
            await ProbeSupport.PostEventsAsync(http, Accepted(start, 0, 1000, unique: false), clientErrorsAllowed: true);
            await Task.Delay(1000);
            ProbeSupport.Report("after start (1,000 events, no unique values)", serve, journal);

            for (int first = 0; first < events; first += EventsPerRequest)
            {
                await ProbeSupport.PostEventsAsync(http, Accepted(start, first, Math.Min(EventsPerRequest, events - first), unique: true), clientErrorsAllowed: true);
            }

            await SettleAsync();
            ProbeSupport.Report($"after {events:N0} accepted events with a unique unused value each", serve, journal);

            for (int first = 0; first < rejected; first += RejectedPerRequest)
            {
                await ProbeSupport.PostEventsAsync(http, Rejected(first, Math.Min(RejectedPerRequest, rejected - first)), clientErrorsAllowed: true);
            }

            await SettleAsync();
            ProbeSupport.Report($"after {rejected:N0} rejected events with 8 unique 1 KB values each", serve, journal);

            await Task.Delay(TimeSpan.FromSeconds(15));
            ProbeSupport.Report("after 15 s idle", serve, journal);

            // An overload: 8 clients at once, each posting large bodies back to back; then idle, which is what the server
            // keeps when nothing happens any more.
            int flooded = 0;
            await Task.WhenAll(Enumerable.Range(0, 8).Select(client => Task.Run(async () =>
            {
                for (int r = 0; r < 5; r++)
                {
                    int first = events + (((client * 5) + r) * 40_000);
                    await ProbeSupport.PostEventsAsync(http, Accepted(start, first, 40_000, unique: true), clientErrorsAllowed: true);
                    Interlocked.Add(ref flooded, 40_000);
                }
            })));
            ProbeSupport.Report($"right after an overload of {flooded:N0} events in 4.5 MB requests from 8 clients at once", serve, journal);
            await Task.Delay(TimeSpan.FromSeconds(15));
            ProbeSupport.Report("after 15 s idle", serve, journal);
            return 0;
        }
        finally
        {
            if (Directory.Exists(data))
            {
                Directory.Delete(data, recursive: true);
            }
        }
    }

    private static string Accepted(long start, int first, int count, bool unique)
    {
        var text = new StringBuilder(count * 120);
        for (int i = first; i < first + count; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"{{\"type\":\"view\",\"time\":{start - 60_000 + (i / 20)},\"user\":\"u{i % 5000}\",\"item\":\"i{i % 2000}\",\"category\":\"c{i % 40}\",\"device\":\"ios\"");
            if (unique)
            {
                text.Append(CultureInfo.InvariantCulture, $",\"note\":\"note-{i:D9}-{Guid.NewGuid():N}\"");
            }

            text.Append('}');
            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Rejected(int first, int count)
    {
        var text = new StringBuilder(count * 8300);
        string pad = new('x', 1000 - 20);
        for (int i = first; i < first + count; i++)
        {
            text.Append("{\"type\":\"view\",\"user\":\"u1\"");
            for (int f = 0; f < 8; f++)
            {
                text.Append(CultureInfo.InvariantCulture, $",\"f{f}\":\"{i:D9}-{f}-{pad}\"");
            }

            text.Append("}\n");
        }

        return text.ToString();
    }

    /// <summary>
    /// The server checkpoints every 2 s (which syncs ids.journal, so its size shows the strings made permanent); waiting
    /// past one also lets a GC run before RSS is read.
    /// </summary>
    private static Task SettleAsync() => Task.Delay(TimeSpan.FromSeconds(5));
}
