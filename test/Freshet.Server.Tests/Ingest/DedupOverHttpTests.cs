using System.Net;
using System.Text;
using Freshet.Engine;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

/// <summary>
/// The dedup window over HTTP under a flood of new ids: a batch resent after its 200 is counted once however many ids
/// came between, and once the memory budget is full inside the horizon new ids get 503 with Retry-After and a message
/// naming the horizon, the budget and the option — never a forgotten id.
/// </summary>
public sealed class DedupOverHttpTests
{
    private const long Time = T0 + (2 * 3_600_000) - 1_000; // the test server's wall clock is T0 + 2h (event-time clock)

    private static string Batch(string prefix, int count, string item)
    {
        var body = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            body.Append($$"""{"id": "{{prefix}}{{i}}", "type": "view", "time": {{Time}}, "item": "{{item}}"}""").Append('\n');
        }

        return body.ToString();
    }

    [Fact]
    public async Task PostEvents_ResendDuringAFloodOfNewIds_IsCountedOnce_AndAFullBudgetIs503WithRetryAfter()
    {
        // 1 MiB holds 49,152 to 98,304 ids; the flood brings up to 400,000.
        await using var server = await StartAsync(engineOptions: new EngineOptions { ShardCount = 2, DedupMemoryBytes = 1 << 20 });
        string original = Batch("a", 200, "a");
        var first = await ReadAsync(await server.PostEventsAsync(original), 200);
        Assert.Equal(200, first.GetProperty("accepted").GetInt32());

        HttpResponseMessage? refused = null;
        int floodBatches = 0, resends = 0;
        for (int round = 0; round < 50 && refused is null; round++)
        {
            // Four flood requests at once, then the client resends the original as a retry would.
            var flood = Enumerable.Range(0, 4).Select(i => server.PostEventsAsync(Batch($"f{round}-{i}-", 2_000, "f"), wait: false)).ToArray();
            foreach (var response in await Task.WhenAll(flood))
            {
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    refused ??= response;
                }
                else
                {
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    floodBatches++;
                }
            }

            var resend = await ReadAsync(await server.PostEventsAsync(original), 200);
            Assert.Equal((0, 200), (resend.GetProperty("accepted").GetInt32(), resend.GetProperty("duplicates").GetInt32()));
            resends++;
        }

        Assert.True(refused is not null, $"expected 503 once the 1 MiB dedup budget was full; {floodBatches * 2_000:N0} new ids were all taken");
        var problem = await ReadAsync(refused, 503);
        string detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("10m", detail, StringComparison.Ordinal);
        Assert.Contains("1.0 MiB budget", detail, StringComparison.Ordinal);
        Assert.Contains("--dedup-memory", detail, StringComparison.Ordinal);
        int retryAfter = int.Parse(refused.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 600);

        var vector = await server.GetJsonAsync("v1/vector/item?key=a&features=item_views");
        Assert.Equal(200, vector.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
        var dedup = (await server.GetJsonAsync("v1/stats")).GetProperty("dedup");
        Assert.Equal("10m", dedup.GetProperty("horizon").GetString());
        Assert.Equal(200 + (floodBatches * 2_000), dedup.GetProperty("ids").GetInt64());
        Assert.True(dedup.GetProperty("refused_requests").GetInt64() >= 1, dedup.ToString());
        Assert.True(dedup.GetProperty("bytes").GetInt64() <= dedup.GetProperty("budget_bytes").GetInt64(), dedup.ToString());
        Assert.Equal(0, dedup.GetProperty("forgotten_early").GetInt64());
        Assert.True(resends > 1, $"the original was resent only {resends} time(s)");
    }
}
