using System.Net;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Engine.Tests.Storage;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Ingest;

/// <summary>The server on a data directory: acknowledged means logged, a restart keeps it, and a full disk is a 507 that says so.</summary>
public sealed class DurableIngestTests
{
    [Fact]
    public async Task PostEvents_OnADataDirectory_AreKeptAcrossARestart_AndStatsShowTheLog()
    {
        string directory = Path.Combine(Path.GetTempPath(), "freshet-server-tests", Guid.NewGuid().ToString("N"));
        try
        {
            // The features file and the data directory are named without where they are on the server's machine.
            await using (var server = await StartAsync(engineOptions: Options(directory), sourceName: Path.Combine(Path.GetTempPath(), "secret-place", "features.yaml")))
            {
                string body = Event("view", T0, "a", id: "e1") + Event("view", T0 + 1000, "a", id: "e2") + Event("click", T0 + 2000, "a", id: "e3");
                var answer = await ReadAsync(await server.PostEventsAsync(body, wait: false), 200);
                Assert.Equal(3, answer.GetProperty("accepted").GetInt32());

                var storage = (await server.GetJsonAsync("v1/stats")).GetProperty("storage");
                Assert.Equal("always", storage.GetProperty("durability").GetString());
                Assert.Equal(3, storage.GetProperty("durable_offset").GetInt64());
                Assert.Equal(Path.GetFileName(directory), storage.GetProperty("directory").GetString());
                Assert.Equal("features.yaml", (await server.GetJsonAsync("v1/features")).GetProperty("source").GetString());
            }

            await using var restarted = await StartAsync(engineOptions: Options(directory));
            var vector = await restarted.GetJsonAsync("v1/vector/item?key=a&features=item_views,item_clicks");
            Assert.Equal(2, vector.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
            Assert.Equal(1, vector.GetProperty("features").GetProperty("item_clicks").GetProperty("1h").GetProperty("value").GetDouble());

            // A client that never heard back resends: acknowledged again, counted once.
            var resent = await ReadAsync(await restarted.PostEventsAsync(Event("view", T0, "a", id: "e1")), 200);
            Assert.Equal(1, resent.GetProperty("duplicates").GetInt32());
            var again = await restarted.GetJsonAsync("v1/vector/item?key=a&features=item_views");
            Assert.Equal(2, again.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TmpfsFact]
    public async Task PostEvents_WhenTheDiskFills_Is507SayingSo_ReadyzIsNotReady_AndAcknowledgedEventsSurvive()
    {
        using var disk = Tmpfs.Mount(1 << 20);
        string directory = Path.Combine(disk.Path, "data");
        long acknowledged = 0;
        int lastBatch = 0;
        await using (var server = await StartAsync(engineOptions: Options(directory) with { Storage = Storage(directory) with { SegmentBytes = 128 << 10 } }))
        {
            System.Text.Json.JsonElement? problem = null;
            for (int request = 0; request < 10_000 && problem is null; request++)
            {
                var body = new System.Text.StringBuilder();
                for (int i = 0; i < 100; i++)
                {
                    body.Append(Event("view", T0 + i, $"item-{request}-{i}-with-a-long-name-to-fill-the-disk-sooner", user: $"user-{i}", id: $"r{request}-{i}"));
                }

                using var response = await server.PostEventsAsync(body.ToString(), wait: false);
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    acknowledged += 100;
                    continue;
                }

                lastBatch = 100;
                problem = await ReadAsync(response, 507);
            }

            Assert.NotNull(problem);
            Assert.Equal("https://freshet.dev/problems/storage-failed", problem.Value.GetProperty("type").GetString());
            Assert.Equal("full", problem.Value.GetProperty("storage_problem").GetString());
            Assert.Contains("the device is full", problem.Value.GetProperty("detail").GetString(), StringComparison.Ordinal);
            Assert.Contains("were not acknowledged", problem.Value.GetProperty("detail").GetString(), StringComparison.Ordinal);

            var ready = await server.GetJsonAsync("readyz", 503);
            Assert.Contains("the event log cannot be written", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);
            var next = await ReadAsync(await server.PostEventsAsync(Event("view", T0, "z", id: "after")), 507);
            Assert.Equal("full", next.GetProperty("storage_problem").GetString());
            string failure = (await server.GetJsonAsync("v1/stats")).GetProperty("storage").GetProperty("failure").GetString()!;
            Assert.Contains("device is full", failure, StringComparison.Ordinal);

            // Files are named relative to the data directory: a client learns nothing of where it is.
            foreach (string said in new[] { problem.Value.GetProperty("detail").GetString()!, next.GetProperty("detail").GetString()!, failure, ready.GetProperty("reason").GetString()! })
            {
                Assert.DoesNotContain(disk.Path, said, StringComparison.Ordinal);
            }
        }

        disk.Remount("size=64m");
        await using var restarted = await StartAsync(engineOptions: Options(directory));
        long accepted = (await restarted.GetJsonAsync("v1/stats")).GetProperty("accepted").GetInt64();
        Assert.True(accepted >= acknowledged && accepted <= acknowledged + lastBatch,
            $"{acknowledged} events were acknowledged before the disk filled; after the restart the server counts {accepted}");
    }

    private static StorageOptions Storage(string directory) => new() { Directory = directory, CheckpointInterval = TimeSpan.Zero };

    private static EngineOptions Options(string directory) => new() { ShardCount = 2, Storage = Storage(directory) };
}
