using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Freshet.BenchSuite.Suite;

/// <summary>
/// The load the HTTP scenarios put on <c>freshet serve</c>, from a process of its own (as real clients are):
/// <list type="bullet">
/// <item><c>loadgen ingest URL SECONDS CONNECTIONS BATCH [RATE]</c>: NDJSON batches of view events with unique ids on
/// keep-alive connections, as fast as answered or at RATE events/s; prints events acknowledged per second.</item>
/// <item><c>loadgen read URL SECONDS RATE CONNECTIONS</c>: open-loop vector reads at a fixed rate, latency measured from
/// each request's scheduled time (so a stall is not hidden by the requests it delays); prints percentiles.</item>
/// </list>
/// The last line of output is one JSON object with the figures.
/// </summary>
internal static class LoadGenerator
{
    public static async Task<int> MainAsync(string[] args)
    {
        var url = new Uri(args[1]);
        double seconds = double.Parse(args[2], CultureInfo.InvariantCulture);
        return args[0] switch
        {
            "ingest" => await IngestAsync(url, seconds, int.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture),
                args.Length > 5 ? double.Parse(args[5], CultureInfo.InvariantCulture) : 0),
            "read" => await ReadAsync(url, seconds, double.Parse(args[3], CultureInfo.InvariantCulture), int.Parse(args[4], CultureInfo.InvariantCulture)),
            _ => throw new ArgumentException($"unknown load '{args[0]}'"),
        };
    }

    private static HttpClient Client(Uri url, int connections) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = connections,
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        AutomaticDecompression = DecompressionMethods.None,
    })
    { BaseAddress = url, Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<int> IngestAsync(Uri url, double seconds, int connections, int batch, double rate)
    {
        using var client = Client(url, connections);
        long acknowledged = 0, failed = 0, counted = 0;
        var clock = Stopwatch.StartNew();
        double warmUp = Math.Min(1, seconds / 4);
        long start = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var workers = Enumerable.Range(0, connections).Select(worker => Task.Run(async () =>
        {
            var body = new BatchBody(batch, worker, start);
            long sentByMe = 0;
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                if (rate > 0 && sentByMe > rate / connections * clock.Elapsed.TotalSeconds)
                {
                    await Task.Delay(1); // Pacing to a rate: ahead of schedule.
                    continue;
                }

                var content = new ByteArrayContent(body.Next());
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-ndjson");
                using var response = await client.PostAsync("v1/events", content);
                sentByMe += batch;
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    Interlocked.Add(ref acknowledged, batch);
                    if (clock.Elapsed.TotalSeconds >= warmUp)
                    {
                        Interlocked.Add(ref counted, batch);
                    }
                }
                else
                {
                    Interlocked.Add(ref failed, batch);
                    await Task.Delay(5); // Overloaded (429/503): back off a moment, as a client would.
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        double measured = clock.Elapsed.TotalSeconds - warmUp;
        Console.WriteLine(JsonSerializer.Serialize(new { events_per_second = counted / measured, acknowledged, failed }));
        return 0;
    }

    private static async Task<int> ReadAsync(Uri url, double seconds, double rate, int connections)
    {
        using var client = Client(url, connections);
        var random = new Random(11);
        var latencies = new List<double>(1 << 20);
        long errors = 0;
        int total = (int)(rate * seconds);
        var keys = Enumerable.Range(0, 4096).Select(_ => $"v1/vector/item?key=i{Math.Max(0, (int)Math.Floor(Math.Pow(100_000, Math.Pow(random.NextDouble(), 1.6))) - 1)}").ToArray();
        var inFlight = new List<Task>(total);
        var clock = Stopwatch.StartNew();
        double tick = 1e6 / Stopwatch.Frequency;
        for (int i = 0; i < total; i++)
        {
            long due = (long)(i / rate * Stopwatch.Frequency);
            while (clock.ElapsedTicks < due)
            {
                if (due - clock.ElapsedTicks > Stopwatch.Frequency / 1000)
                {
                    await Task.Delay(1); // Open loop: the next request is not due yet.
                }
                else
                {
                    Thread.SpinWait(20);
                }
            }

            string path = keys[i & 4095];
            long scheduled = due;
            inFlight.Add(Task.Run(async () =>
            {
                try
                {
                    using var response = await client.GetAsync(path, HttpCompletionOption.ResponseContentRead);
                    if (!response.IsSuccessStatusCode)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref errors);
                }

                double latency = (clock.ElapsedTicks - scheduled) * tick;
                lock (latencies)
                {
                    latencies.Add(latency);
                }
            }));
        }

        await Task.WhenAll(inFlight);
        double elapsed = clock.Elapsed.TotalSeconds;
        var percentiles = new Percentiles();
        percentiles.AddRange(latencies);
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            requests = total,
            errors,
            achieved_per_second = total / elapsed,
            p50_us = percentiles.At(0.5),
            p99_us = percentiles.At(0.99),
            p999_us = percentiles.At(0.999),
        }));
        return 0;
    }

    /// <summary>
    /// One worker's NDJSON body of view events, re-sent with fresh ids: each event's id is a fixed-width slot that
    /// <see cref="Next"/> overwrites, so a request costs a copy, not a rendering (the load generator must not be
    /// slower than the server). Event times spread over the last minutes, within the benchmark's lateness.
    /// </summary>
    private sealed class BatchBody
    {
        private readonly byte[] _template;
        private readonly int[] _slots;
        private long _sequence;

        public BatchBody(int events, int worker, long startMs)
        {
            var random = new Random(worker);
            var text = new StringBuilder();
            var slots = new List<int>();
            for (int i = 0; i < events; i++)
            {
                text.Append("{\"id\":\"");
                slots.Add(Encoding.UTF8.GetByteCount(text.ToString()));
                int item = Math.Max(0, (int)Math.Floor(Math.Pow(100_000, Math.Pow(random.NextDouble(), 1.6))) - 1);
                text.Append(CultureInfo.InvariantCulture,
                    $"w{worker:D2}-0000000000000000-{i:D5}\",\"type\":\"view\",\"time\":{startMs - random.Next(120_000)},\"item\":\"i{item}\",\"user\":\"u{random.Next(200_000)}\",\"price\":{random.Next(128)}}}\n");
            }

            _template = Encoding.UTF8.GetBytes(text.ToString());
            _slots = [.. slots];
        }

        public byte[] Next()
        {
            var body = (byte[])_template.Clone();
            Span<byte> hex = stackalloc byte[16];
            System.Buffers.Text.Utf8Formatter.TryFormat(++_sequence, hex, out _, new System.Buffers.StandardFormat('X', 16));
            foreach (int slot in _slots)
            {
                hex.CopyTo(body.AsSpan(slot + 4)); // after "wNN-"
            }

            return body;
        }
    }
}
