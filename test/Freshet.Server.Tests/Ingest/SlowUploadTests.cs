using System.Net;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

/// <summary>
/// Slow and stalled uploads against the real server on raw sockets: a body not yet received holds no ingest turn, the
/// memory of bodies in flight is bounded by the body budget, and a body too slow ends in 408 (or a closed
/// connection), never 500.
/// </summary>
public sealed class SlowUploadTests(ITestOutputHelper output)
{
    [Fact]
    public async Task PostEvents_WhileSlowClientsTrickleTheirBodies_NormalClientsAreServed_AndTheSlowOnesAreCutOff()
    {
        // Twice as many slow clients as ingest turns: before bodies were read first, they held every turn and every
        // waiting place, and normal clients got 429.
        const int SlowClients = 8;
        await using var server = await StartAsync(new ServerOptions
        {
            MaxConcurrentIngests = 4,
            BodyMinBytesPerSecond = 240,
            BodyGracePeriod = TimeSpan.FromSeconds(2),
            BodyReadTimeout = TimeSpan.FromSeconds(4),
        });
        var slow = new List<RawConnection>();
        using var stopTrickling = new CancellationTokenSource();
        var trickles = new List<Task>();
        try
        {
            for (int i = 0; i < SlowClients; i++)
            {
                var connection = await RawConnection.OpenAsync(server);
                await connection.SendHeadAsync(server, "POST", "/v1/events",
                    ["Content-Type: application/x-ndjson", "Content-Length: 100000"], "{");
                slow.Add(connection);
                trickles.Add(TrickleAsync(connection, stopTrickling.Token));
            }

            await WaitForHeldAsync(server, SlowClients);

            // Normal clients, one after another, while every slow body is still open.
            var statuses = new List<int>();
            for (int i = 0; i < 40; i++)
            {
                using var response = await server.PostEventsAsync(Event("view", T0, "normal", id: $"n{i}"), wait: false);
                statuses.Add((int)response.StatusCode);
            }

            Assert.True(statuses.All(s => s == 200),
                $"expected every normal request to be served while {SlowClients} slow uploads were open; got {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} x {g.Key}"))}");

            // Each slow client is cut off: 408 with a problem document, or the connection closed. Never a 500.
            var endings = new List<string>();
            foreach (var connection in slow)
            {
                var answer = await connection.ReadResponseAsync(TimeSpan.FromSeconds(20));
                endings.Add(answer is { } a ? a.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : "closed");
                if (answer is { Status: 408 } timedOut)
                {
                    Assert.Contains("https://freshet.dev/problems/body-timeout", timedOut.Text, StringComparison.Ordinal);
                }
            }

            output.WriteLine($"normal clients: {string.Join(", ", statuses.GroupBy(s => s).Select(g => $"{g.Count()} x {g.Key}"))}; "
                + $"slow clients: {string.Join(", ", endings.GroupBy(e => e).Select(g => $"{g.Count()} x {g.Key}"))}");
            Assert.True(endings.All(e => e is "408" or "closed"), $"expected each slow upload to end with 408 or a closed connection; got {string.Join(", ", endings)}");
            Assert.Equal(40, (await server.GetJsonAsync("v1/stats")).GetProperty("accepted").GetInt64());
        }
        finally
        {
            await stopTrickling.CancelAsync();
            await Task.WhenAll(trickles);
            slow.ForEach(c => c.Dispose());
        }

        // Nothing is left held: the next request is served at once.
    }

    [Fact]
    public async Task PostEvents_BodyNotCompleteWithinTheReadTimeout_Is408ProblemDocument()
    {
        // The rate check is off, so only the whole-body deadline can end this upload.
        await using var server = await StartAsync(new ServerOptions { BodyMinBytesPerSecond = 0, BodyReadTimeout = TimeSpan.FromSeconds(1) });
        using var connection = await RawConnection.OpenAsync(server);
        await connection.SendHeadAsync(server, "POST", "/v1/events", ["Content-Type: application/x-ndjson", "Content-Length: 1000"], "{\"type\":");

        var answer = await connection.ReadResponseAsync(TimeSpan.FromSeconds(15));

        Assert.True(answer is { Status: 408 }, $"expected 408 within 15 s of a body that stopped arriving; got {answer?.Text ?? "no answer"}");
        string text = answer.GetValueOrDefault().Text;
        Assert.Contains("https://freshet.dev/problems/body-timeout", text, StringComparison.Ordinal);
        Assert.Contains("within 1 s", text, StringComparison.Ordinal);
        var ingest = (await server.GetJsonAsync("v1/stats")).GetProperty("ingest");
        Assert.Equal(1, ingest.GetProperty("refused_slow").GetInt64());
        Assert.Equal(0, ingest.GetProperty("buffered_bytes").GetInt64());
    }

    [Fact]
    public async Task Request_WhoseHeadersNeverFinish_IsCutOffAfterTheHeadersTimeout()
    {
        await using var server = await StartAsync(new ServerOptions { RequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var connection = await RawConnection.OpenAsync(server);
        await connection.SendAsync($"POST /v1/events HTTP/1.1\r\nHost: {server.Server.BaseAddress.Authority}\r\nContent-Type: application/x-ndjson\r\n");

        // Kestrel answers 408 or just closes; either way within a few heartbeats of the 1 s timeout, not the default 30 s.
        var started = DateTime.UtcNow;
        var answer = await connection.ReadResponseAsync(TimeSpan.FromSeconds(15));

        Assert.True(answer is null or { Status: 408 }, $"expected 408 or a closed connection; got {answer?.Text}");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(10), $"the connection was still open after {(DateTime.UtcNow - started).TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task PostEvents_BodiesBeyondTheBufferBudget_Are429_AndServedOnceTheBudgetIsFree()
    {
        // A budget of exactly what one 64 KiB body needs (a 128 KiB buffer and the 64 KiB it grew from): three stalled
        // uploads that declared 60,000 bytes hold a 64 KiB buffer each, and fill it.
        await using var server = await StartAsync(new ServerOptions { MaxBodyBytes = 64 * 1024, MaxBufferedBodyBytes = 0, BodyGracePeriod = TimeSpan.FromMinutes(5) });
        string body = string.Concat(Enumerable.Repeat(Event("view", T0, "slow"), 2000))[..60_000];
        body = body[..(body.LastIndexOf('\n') + 1)].PadRight(60_000);
        var stalled = new List<RawConnection>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var connection = await RawConnection.OpenAsync(server);
                await connection.SendHeadAsync(server, "POST", "/v1/events", ["Content-Type: application/x-ndjson", "Content-Length: 60000"], body[..1]);
                stalled.Add(connection);
            }

            await WaitForHeldAsync(server, 3);
            var ingest = (await server.GetJsonAsync("v1/stats")).GetProperty("ingest");
            Assert.Equal(ingest.GetProperty("buffered_bytes_limit").GetInt64(), ingest.GetProperty("buffered_bytes").GetInt64());

            using var refused = await server.PostEventsAsync(Event("view", T0, "normal"), wait: false);
            var problem = await ReadAsync(refused, 429);
            Assert.Equal("https://freshet.dev/problems/overloaded", problem.GetProperty("type").GetString());
            Assert.Contains("bytes allowed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.True(refused.Headers.Contains("Retry-After"), "a 429 says when to retry");

            // The stalled bodies complete and are ingested; their buffers go back, and the next request is served.
            foreach (var connection in stalled)
            {
                await connection.SendAsync(body[1..]);
            }

            foreach (var connection in stalled)
            {
                var answer = await connection.ReadResponseAsync(TimeSpan.FromSeconds(20));
                Assert.True(answer is { Status: 200 }, $"a stalled upload that completes is served; got {answer?.Text ?? "no answer"}");
            }
        }
        finally
        {
            stalled.ForEach(c => c.Dispose());
        }

        await ReadAsync(await server.PostEventsAsync(Event("view", T0, "normal")), 200);
        Assert.Equal(0, (await server.GetJsonAsync("v1/stats")).GetProperty("ingest").GetProperty("buffered_bytes").GetInt64());
    }

    [Fact]
    public async Task PostEvents_MoreBodiesReadyThanTurnsAndWaitingPlaces_Are429WithRetryAfter_AndTheRestAreServed()
    {
        // One turn and one waiting place: of many large bodies that arrive together, some find both taken. Whether a
        // given round overlaps enough depends on timing, so rounds repeat until one does (bounded).
        await using var server = await StartAsync(new ServerOptions { MaxConcurrentIngests = 1, RetryAfterSeconds = 2 });
        string body = string.Concat(Enumerable.Range(0, 20_000).Select(i => Event("view", T0, $"item-{i % 500}")));
        var seen = new List<int>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage? refused = null;
        while (refused is null)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected a 429 within 30 s of rounds of 16 concurrent large bodies; saw {string.Join(", ", seen.Distinct())}");
            var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => server.PostEventsAsync(body, wait: false)));
            seen.AddRange(responses.Select(r => (int)r.StatusCode));
            refused = responses.FirstOrDefault(r => r.StatusCode == HttpStatusCode.TooManyRequests);
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"got {(int)r.StatusCode}"));
        }

        var problem = await ReadAsync(refused, 429);
        Assert.Equal("2", refused.Headers.GetValues("Retry-After").Single());
        Assert.Contains("being processed and as many are waiting", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.True((await server.GetJsonAsync("v1/stats")).GetProperty("ingest").GetProperty("refused_too_many_requests").GetInt64() >= 1);
    }

    /// <summary>Sends one byte every 100 ms (10 bytes/s, far under the minimum rate) until the server stops taking them.</summary>
    private static async Task TrickleAsync(RawConnection connection, CancellationToken cancellationToken)
    {
        var space = Encoding.ASCII.GetBytes(" ");
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
                await connection.Stream.WriteAsync(space, cancellationToken);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
        {
            // Cut off by the server, or the test is done.
        }
    }

    /// <summary>Waits until the server holds <paramref name="count"/> ingest requests (receiving their body, or admitted).</summary>
    private static async Task WaitForHeldAsync(TestServer server, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var ingest = (await server.GetJsonAsync("v1/stats")).GetProperty("ingest");
            int held = Int(ingest, "reading") + Int(ingest, "in_progress") + Int(ingest, "waiting");
            if (held >= count)
            {
                return;
            }

            Assert.True(DateTime.UtcNow < deadline, $"expected the server to hold {count} ingest requests within 20 s; /v1/stats says {ingest}");
            await Task.Delay(10);
        }

        static int Int(JsonElement element, string name) => element.TryGetProperty(name, out var value) ? value.GetInt32() : 0;
    }
}
