using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Freshet.Engine.Tests.Storage;

namespace Freshet.Cli.Tests.Serve;

/// <summary><c>freshet serve</c> on a data directory: restarts keep what was acknowledged; a directory it cannot use is one line and exit 4.</summary>
public sealed partial class ServeCommandTests
{
    [Fact]
    public async Task Serve_OnADataDirectory_RecoversWhatItAcknowledgedAfterARestart()
    {
        string data = Path.Combine(Path.GetTempPath(), $"freshet-serve-{Guid.NewGuid():N}");
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            var first = await RunUntilSigtermAsync(data, async client =>
            {
                string body = $"{{\"id\": \"1\", \"type\": \"view\", \"time\": {now}, \"user\": \"u1\", \"item\": \"i1\"}}\n"
                    + $"{{\"id\": \"2\", \"type\": \"view\", \"time\": {now}, \"user\": \"u2\", \"item\": \"i1\"}}\n";
                using var ingest = await client.PostAsync("v1/events", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
                Assert.Equal(200, (int)ingest.StatusCode);
            });
            Assert.Contains(first, l => l.StartsWith($"Created a new data directory {data}", StringComparison.Ordinal));
            Assert.Contains(first, l => l.Contains($"data in {data}, durability always", StringComparison.Ordinal));
            Assert.Contains(first, l => l.Contains("2 events in the log; last checkpoint at offset 2.", StringComparison.Ordinal));

            var second = await RunUntilSigtermAsync(data, async client =>
            {
                var vector = await client.GetFromJsonAsync<JsonElement>("v1/vector/item?key=i1&features=item_views");
                Assert.Equal(2, vector.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
            });
            Assert.Contains(second, l => l.StartsWith($"Recovered {data}: checkpoint at offset 2 ", StringComparison.Ordinal));
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_DataDirectoryInUse_SaysSoAndExits4()
    {
        string data = Path.Combine(Path.GetTempPath(), $"freshet-serve-{Guid.NewGuid():N}");
        var lines = new List<string>();
        using var holder = Start(["serve", "--url", "http://127.0.0.1:0", "--data", data], lines);
        try
        {
            await WaitForLineAsync(holder, lines, l => l.StartsWith("Listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var second = new List<string>();
            using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--data", data], second);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);

            Assert.Equal(4, process.ExitCode);
            Assert.Contains(second, l => l.StartsWith($"Cannot use the data directory: the data directory {data} is in use by another Freshet process", StringComparison.Ordinal));
        }
        finally
        {
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync();
            Directory.Delete(data, recursive: true);
        }
    }

    [TmpfsFact]
    public async Task Serve_ReadOnlyDataDirectory_SaysSoAndExits4()
    {
        using var disk = Tmpfs.Mount(1 << 20);
        disk.Remount("ro");
        var lines = new List<string>();
        using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--data", Path.Combine(disk.Path, "data")], lines);
        using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(exited.Token);

        Assert.Equal(4, process.ExitCode);
        Assert.Contains(lines, l => l.StartsWith("Cannot use the data directory: could not create the data directory", StringComparison.Ordinal)
            && l.Contains("the file system is read-only", StringComparison.Ordinal));
    }

    /// <summary>Runs serve on <paramref name="data"/>, does <paramref name="work"/> against it, stops it with SIGTERM (exit 0) and returns its lines.</summary>
    private static async Task<List<string>> RunUntilSigtermAsync(string data, Func<HttpClient, Task> work)
    {
        var lines = new List<string>();
        using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--data", data], lines);
        try
        {
            string listening = await WaitForLineAsync(process, lines, l => l.StartsWith("Listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            using var client = new HttpClient { BaseAddress = new Uri(ListeningUrl().Match(listening).Groups[1].Value) };
            await work(client);
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);
            lock (lines)
            {
                Assert.True(process.ExitCode == 0, $"serve exited with {process.ExitCode}:\n{string.Join('\n', lines)}");
                return [.. lines];
            }
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
