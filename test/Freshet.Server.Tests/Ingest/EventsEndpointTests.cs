using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

public sealed class EventsEndpointTests
{
    private static async Task<double> ViewsAsync(TestServer server, string item, string window = "1h")
    {
        var vector = await server.GetJsonAsync($"v1/vector/item?key={item}&features=item_views");
        return vector.GetProperty("features").GetProperty("item_views").GetProperty(window).GetProperty("value").GetDouble();
    }

    private static string[] Reasons(JsonElement problem) =>
        problem.GetProperty("rejected").EnumerateArray().Select(r => $"{r.GetProperty("index").GetInt32()}:{r.GetProperty("reason").GetString()}").ToArray();

    [Fact]
    public async Task PostEvents_ValidNdjson_IsAcceptedAndReadBackExactly()
    {
        await using var server = await StartAsync();
        string body = Event("view", T0, "a") + Event("view", T0 + 1000, "a") + Event("view", T0 + 2000, "b") + Event("click", T0 + 3000, "a");

        var result = await ReadAsync(await server.PostEventsAsync(body), 200);

        Assert.Equal(4, result.GetProperty("accepted").GetInt32());
        Assert.Equal(0, result.GetProperty("rejected").GetArrayLength());
        Assert.Equal(2, await ViewsAsync(server, "a"));
        Assert.Equal(1, await ViewsAsync(server, "b"));
    }

    [Fact]
    public async Task PostEvents_JsonArrayWithIsoTimes_IsAccepted()
    {
        await using var server = await StartAsync();
        string body = """[{"type": "view", "time": "2025-11-21T10:00:00Z", "item": "a"}, {"type": "view", "time": "2025-11-21T10:00:01.5Z", "item": "a"}]""";

        var result = await ReadAsync(await server.PostEventsAsync(body, "application/json"), 200);

        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        Assert.Equal(2, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_Gzip_IsDecompressed()
    {
        await using var server = await StartAsync();
        var content = new ByteArrayContent(Gzip(Event("view", T0, "a") + Event("view", T0, "a")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var result = await ReadAsync(await server.Client.PostAsync("v1/events?wait=true", content), 200);

        Assert.Equal(2, result.GetProperty("accepted").GetInt32());
        Assert.Equal(2, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_MalformedLine_Is400_AndKeepsEveryValidEvent()
    {
        await using var server = await StartAsync();
        string body = Event("view", T0, "a") + "{\"type\": \"view\", \"time\": \n" + Event("view", T0, "a") + "not json at all\n" + Event("view", T0, "a");

        var problem = await ReadAsync(await server.PostEventsAsync(body), 400);

        Assert.Equal("https://freshet.dev/problems/rejected-events", problem.GetProperty("type").GetString());
        Assert.Equal(3, problem.GetProperty("accepted").GetInt32());
        Assert.Equal(["1:malformed_json", "3:malformed_json"], Reasons(problem));
        Assert.Contains("line 4", problem.GetProperty("rejected")[1].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_WrongFieldTypes_Is422_NamingTheField_AndKeepsValidEvents()
    {
        await using var server = await StartAsync();
        string body = Event("view", T0, "a")
            + $$$"""{"type": "view", "time": {{{T0}}}, "item": {"nested": 1}}""" + "\n"
            + $$"""{"type": 5, "time": {{T0}}, "item": "a"}""" + "\n"
            + $$"""{"type": "view", "time": true, "item": "a"}""" + "\n"
            + $$"""{"type": "view", "time": {{T0}}, "item": ["a"]}""" + "\n"
            + Event("view", T0, "a");

        var problem = await ReadAsync(await server.PostEventsAsync(body), 422);

        Assert.Equal(2, problem.GetProperty("accepted").GetInt32());
        Assert.Equal(["1:invalid_field", "2:invalid_header", "3:invalid_header", "4:invalid_field"], Reasons(problem));
        var fields = problem.GetProperty("rejected").EnumerateArray().Select(r => r.GetProperty("field").GetString() ?? "").ToArray();
        Assert.Equal(["item", "type", "time", "item"], fields);
        Assert.Equal(2, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_MissingTypeOrTime_Is422_WithTheirReasons()
    {
        await using var server = await StartAsync();
        string body = $$"""{"time": {{T0}}, "item": "a"}""" + "\n" + """{"type": "view", "item": "a"}""" + "\n" + Event("view", T0, "a");

        var problem = await ReadAsync(await server.PostEventsAsync(body), 422);

        Assert.Equal(["0:missing_type", "1:missing_time"], Reasons(problem));
        Assert.Equal(1, problem.GetProperty("accepted").GetInt32());
        Assert.Contains("2 of 3", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_FarFutureAndTooLate_Are422_AndTheRestIsKept()
    {
        await using var server = await StartAsync();
        long wall = T0 + (2 * 3_600_000);
        string body = Event("view", T0 + 3_600_000, "a")        // now becomes T0 + 1h
            + Event("view", wall + (6 * 60_000), "a")             // 6 minutes past the wall clock: max_future is 5m
            + Event("view", T0 + 3_600_000 - (11 * 60_000), "a")  // 11 minutes behind now: allowed lateness is 10m
            + Event("view", T0 + 3_600_000 - (9 * 60_000), "a");  // 9 minutes behind: fine

        var problem = await ReadAsync(await server.PostEventsAsync(body), 422);

        Assert.Equal(["1:future", "2:late"], Reasons(problem));
        Assert.Contains("ahead of now", problem.GetProperty("rejected")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(2, await ViewsAsync(server, "a"));
    }

    [Fact]
    public async Task PostEvents_EpochSeconds_AreRejectedWithTheMillisecondsHint()
    {
        await using var server = await StartAsync();

        var problem = await ReadAsync(await server.PostEventsAsync(Event("view", T0 / 1000, "a")), 422);

        Assert.Equal(["0:invalid_header"], Reasons(problem));
        Assert.Contains($"{T0}", problem.GetProperty("rejected")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_RetryWithSameIds_IsAcknowledgedAsDuplicates_AndCountedOnce()
    {
        await using var server = await StartAsync();
        string body = Event("view", T0, "a", id: "e1") + Event("view", T0, "a", id: "e2");

        var first = await ReadAsync(await server.PostEventsAsync(body), 200);
        var retry = await ReadAsync(await server.PostEventsAsync(body), 200);

        Assert.Equal((2, 0), (first.GetProperty("accepted").GetInt32(), first.GetProperty("duplicates").GetInt32()));
        Assert.Equal((0, 2), (retry.GetProperty("accepted").GetInt32(), retry.GetProperty("duplicates").GetInt32()));
        Assert.Equal(2, await ViewsAsync(server, "a"));
        Assert.Equal(2, (await server.GetJsonAsync("v1/stats")).GetProperty("duplicates").GetInt64());
    }

    [Fact]
    public async Task PostEvents_BodyOverTheLimit_Is413_AndNothingIsTaken()
    {
        await using var server = await StartAsync(new ServerOptions { MaxBodyBytes = 1024 });
        var body = new StringBuilder();
        while (body.Length <= 1024)
        {
            body.Append(Event("view", T0, "a"));
        }

        var problem = await ReadAsync(await server.PostEventsAsync(body.ToString()), 413);

        Assert.Equal("https://freshet.dev/problems/body-too-large", problem.GetProperty("type").GetString());
        Assert.Equal(1024, problem.GetProperty("max_bytes").GetInt64());
        Assert.Contains("1,024 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, (await server.GetJsonAsync("v1/stats")).GetProperty("accepted").GetInt64());
    }

    [Fact]
    public async Task PostEvents_GzipThatExpandsPastTheLimit_Is413()
    {
        await using var server = await StartAsync(new ServerOptions { MaxBodyBytes = 64 * 1024 });
        string expanding = string.Concat(Enumerable.Repeat(Event("view", T0, "a"), 10_000)); // ~500 KB, compresses to a few KB
        var content = new ByteArrayContent(Gzip(expanding));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var problem = await ReadAsync(await server.Client.PostAsync("v1/events", content), 413);

        Assert.Contains("once decompressed", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_NotGzipButSaysSo_Is400()
    {
        await using var server = await StartAsync();
        var content = new StringContent(Event("view", T0, "a"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("gzip");

        var problem = await ReadAsync(await server.Client.PostAsync("v1/events", content), 400);

        Assert.Equal("https://freshet.dev/problems/bad-gzip", problem.GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("application/xml", "unsupported-media-type")]
    [InlineData("application/x-www-form-urlencoded", "unsupported-media-type")]
    [InlineData("text/plain", "unsupported-media-type")]
    [InlineData("multipart/form-data; boundary=x", "unsupported-media-type")]
    public async Task PostEvents_UnsupportedContentType_Is415(string contentType, string code)
    {
        await using var server = await StartAsync();

        var problem = await ReadAsync(await server.PostEventsAsync(Event("view", T0, "a"), contentType), 415);

        Assert.Equal($"https://freshet.dev/problems/{code}", problem.GetProperty("type").GetString());
        Assert.Contains("application/x-ndjson", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostEvents_UnsupportedEncoding_Is415()
    {
        await using var server = await StartAsync();
        var content = new StringContent(Event("view", T0, "a"));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        content.Headers.ContentEncoding.Add("br");

        var problem = await ReadAsync(await server.Client.PostAsync("v1/events", content), 415);

        Assert.Equal("https://freshet.dev/problems/unsupported-encoding", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PostEvents_EmptyBody_Is400()
    {
        await using var server = await StartAsync();

        var problem = await ReadAsync(await server.PostEventsAsync("  \n"), 400);

        Assert.Equal("https://freshet.dev/problems/empty-body", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task PostEvents_UploadSlowerThanTheMinimumRate_Is408OrClosed_AndHoldsNothingAfterwards()
    {
        await using var server = await StartAsync(new ServerOptions { MaxConcurrentIngests = 1, BodyGracePeriod = TimeSpan.FromSeconds(2) });
        using var stalled = await RawConnection.OpenAsync(server);
        await stalled.SendHeadAsync(server, "POST", "/v1/events", ["Content-Type: application/x-ndjson", "Content-Length: 100"], "{");

        // Kestrel checks the rate on its one-second heartbeat once the grace period (at least 2 s: Kestrel refuses less) is over.
        var answer = await stalled.ReadResponseAsync(TimeSpan.FromSeconds(20));

        Assert.True(answer is null or { Status: 408 }, $"expected 408 or a closed connection for a stalled body; got {answer?.Text}");
        // A closed connection may be seen before the server's read gives its buffer back: wait for that, bounded.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonElement ingest;
        while ((ingest = (await server.GetJsonAsync("v1/stats")).GetProperty("ingest")).GetProperty("buffered_bytes").GetInt64() != 0
            || ingest.GetProperty("reading").GetInt32() != 0)
        {
            Assert.True(DateTime.UtcNow < deadline, $"expected the stalled upload to hold nothing within 10 s; /v1/stats says {ingest}");
            await Task.Delay(10);
        }

        await ReadAsync(await server.PostEventsAsync(Event("view", T0, "a")), 200);
    }

    [Fact]
    public async Task PostEvents_WhileShardQueuesAreFull_Is503WithRetryAfter_ButReadyzStaysReady_ThenRecovers()
    {
        await using var server = await StartAsync(engineOptions: new Freshet.Engine.EngineOptions { ShardCount = 1, QueueCapacity = 1 });
        server.Engine.PauseShards();
        try
        {
            // The shard applies at most the batch in hand; the next one fills its one-batch queue.
            HttpResponseMessage? refused = null;
            for (int i = 0; i < 5 && refused is null; i++)
            {
                var response = await server.PostEventsAsync(Event("view", T0, "a", id: $"e{i}"), wait: false);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused = response;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                }
            }

            Assert.True(refused is not null, "expected 503 once the paused shard's one-batch queue was full");
            var problem = await ReadAsync(refused, 503);
            Assert.Equal("https://freshet.dev/problems/overloaded", problem.GetProperty("type").GetString());
            Assert.Equal("1", refused.Headers.GetValues("Retry-After").Single());
            // Busy is not unready: the server answers, so a probe must not take it out of rotation; the full queue shows.
            var ready = await server.GetJsonAsync("readyz", 200);
            Assert.Equal("ready", ready.GetProperty("status").GetString());
            Assert.Contains(ready.GetProperty("shards").EnumerateArray(), s => s.GetProperty("queue_depth").GetInt32() >= ready.GetProperty("queue_capacity").GetInt32());
        }
        finally
        {
            server.Engine.ResumeShards();
        }

        Assert.True(server.Engine.Flush(TimeSpan.FromSeconds(10)), "the shard did not drain within 10 s after resuming");
        await server.GetJsonAsync("readyz", 200);
        var retried = await ReadAsync(await server.PostEventsAsync(Event("view", T0, "a", id: "late-retry")), 200);
        Assert.Equal(1, retried.GetProperty("accepted").GetInt32());
    }

    private static byte[] Gzip(string text)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Optimal))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }

        return output.ToArray();
    }
}
