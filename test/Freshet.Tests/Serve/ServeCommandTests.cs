using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Freshet.Cli.Tests.Serve;

/// <summary><c>freshet serve</c> as users run it: a child process on a free loopback port, stopped with SIGTERM.</summary>
public sealed partial class ServeCommandTests
{
    private static readonly string FreshetDll = Path.Combine(AppContext.BaseDirectory, "freshet.dll");

    [Fact]
    public async Task Serve_ChildProcess_IngestsServesAndStopsCleanlyOnSigterm()
    {
        var lines = new List<string>();
        using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--in-memory"], lines);
        try
        {
            string listening = await WaitForLineAsync(process, lines, l => l.StartsWith("Listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var url = new Uri(ListeningUrl().Match(listening).Groups[1].Value);
            Assert.Contains(lines, l => l.StartsWith("Loaded 20 features on 4 entities from ", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("item_views", StringComparison.Ordinal) && l.Contains("count on view", StringComparison.Ordinal));

            using var client = new HttpClient { BaseAddress = url };
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string body = $$"""
                {"id": "1", "type": "view", "time": {{now}}, "user": "u1", "item": "i1", "category": "shoes"}
                {"id": "2", "type": "view", "time": {{now}}, "user": "u2", "item": "i1", "category": "shoes"}
                {"id": "3", "type": "click", "time": {{now}}, "user": "u1", "item": "i1", "category": "shoes"}
                """;
            using var ingest = await client.PostAsync("v1/events?wait=true", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(200, (int)ingest.StatusCode);

            var vector = await client.GetFromJsonAsync<JsonElement>("v1/vector/item?key=i1&features=item_views,item_clicks");
            Assert.Equal(2, vector.GetProperty("features").GetProperty("item_views").GetProperty("1h").GetProperty("value").GetDouble());
            Assert.Equal(1, vector.GetProperty("features").GetProperty("item_clicks").GetProperty("1h").GetProperty("value").GetDouble());

            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);

            Assert.Equal(0, process.ExitCode);
            Assert.Contains(lines, l => l.Contains("Stopped. 3 events accepted, 0 duplicates, 0 rejected.", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Serve_PortAlreadyTaken_SaysSoInOneLineWithoutAStackTraceAndExits3()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
            var lines = new List<string>();
            using var process = Start(["serve", "--url", $"http://127.0.0.1:{port}", "--in-memory"], lines);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);

            Assert.Equal(3, process.ExitCode);
            Assert.Contains(lines, l => l.Contains($"Cannot listen on http://127.0.0.1:{port}: the address is already in use", StringComparison.Ordinal));

            // The one friendly line, not the host's stack trace before it.
            Assert.DoesNotContain(lines, l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal)
                || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));
            Assert.True(lines.Sum(l => l.Length + 1) < 3000, $"serve printed more than its start-up lines and the reason:\n{string.Join('\n', lines)}");
        }
        finally
        {
            listener.Stop();
        }
    }

    [Fact]
    public async Task Serve_EditedSampleInTheCurrentDirectory_IsTheOneLoaded_AndTheStartSaysWhich()
    {
        // A checkout's samples/features.yaml, edited: the server started there must use it, not the copy in bin/.
        string directory = Path.Combine(Path.GetTempPath(), $"freshet-sample-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(directory, "samples"));
        string sample = Path.Combine(directory, "samples", "features.yaml");
        await File.WriteAllTextAsync(sample, "entities: { item: item }\nfeatures:\n  edited_views: { entity: item, events: [view], aggregation: count, windows: [1h] }\n");
        var lines = new List<string>();
        using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--in-memory"], lines, directory);
        try
        {
            await WaitForLineAsync(process, lines, l => l.StartsWith("Listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.Contains(lines, l => l.StartsWith($"Loaded 1 features on 1 entities from {sample} (the sample in the current directory)", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("edited_views", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }

            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task Serve_BadDefinitions_ListsTheProblemAndExits2()
    {
        string path = Path.Combine(Path.GetTempPath(), $"freshet-bad-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, "entities: { item: item }\nfeatures:\n  f: { entity: item, events: [view], aggregation: cnt, windows: [1h] }\n");
        try
        {
            var lines = new List<string>();
            using var process = Start(["serve", "--features", path, "--url", "http://127.0.0.1:0"], lines);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);

            Assert.Equal(2, process.ExitCode);
            Assert.Contains(lines, l => l.Contains("feature 'f'", StringComparison.Ordinal) && l.Contains("cnt", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Serve_WithTheSampleModels_LearnsFromPostedEventsAndServesThem()
    {
        var lines = new List<string>();
        using var process = Start(["serve", "--url", "http://127.0.0.1:0", "--in-memory", "--models", Path.Combine(AppContext.BaseDirectory, "samples", "models.yaml")], lines);
        try
        {
            string listening = await WaitForLineAsync(process, lines, l => l.StartsWith("Listening on ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            Assert.Contains(lines, l => l.StartsWith("Learning 1 click model(s) and 1 recommender(s) from ", StringComparison.Ordinal) && l.Contains("clicks, for_you", StringComparison.Ordinal));
            using var client = new HttpClient { BaseAddress = new Uri(ListeningUrl().Match(listening).Groups[1].Value) };
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string body = $$"""
                {"type": "view", "time": {{now}}, "user": "u1", "item": "i1", "category": "shoes", "device": "ios"}
                {"type": "click", "time": {{now}}, "user": "u1", "item": "i1", "category": "shoes", "device": "ios"}
                {"type": "view", "time": {{now}}, "user": "u2", "item": "i2", "category": "bags", "device": "web"}
                """;
            using var ingest = await client.PostAsync("v1/events?wait=true", new StringContent(body, Encoding.UTF8, "application/x-ndjson"));
            Assert.Equal(200, (int)ingest.StatusCode);

            JsonElement models = default;
            for (int i = 0; i < 200 && (models.ValueKind == JsonValueKind.Undefined || models.GetProperty("events_learned").GetInt64() < 3); i++)
            {
                await Task.Delay(25);
                models = await client.GetFromJsonAsync<JsonElement>("v1/models");
            }

            var clicks = models.GetProperty("models").EnumerateArray().Single(m => m.GetProperty("name").GetString() == "clicks");
            Assert.Equal(2, clicks.GetProperty("exposures_scored").GetInt64());
            Assert.Equal(1, clicks.GetProperty("positives").GetInt64());
            var recommended = await client.GetFromJsonAsync<JsonElement>("v1/recommend?model=for_you&user=u1&k=5");
            Assert.Equal(["i2"], recommended.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task Serve_ModelsReadingAMissingFeature_ListsTheProblemAndExits2()
    {
        string path = Path.Combine(Path.GetTempPath(), $"freshet-models-{Guid.NewGuid():N}.yaml");
        await File.WriteAllTextAsync(path, """
            models:
              ctr:
                kind: click
                exposure: [view]
                outcome: [click]
                key: [user, item]
                live: [{ entity: item, feature: item_likes, window: 1h }]
            """);
        try
        {
            var lines = new List<string>();
            using var process = Start(["serve", "--models", path, "--url", "http://127.0.0.1:0", "--in-memory"], lines);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(exited.Token);

            Assert.Equal(2, process.ExitCode);
            Assert.Contains(lines, l => l.Contains("model 'ctr': live feature 'item_likes' is not a feature of 'item'", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Process Start(string[] args, List<string> lines, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        info.ArgumentList.Add(FreshetDll);
        foreach (string arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) => Add(lines, e.Data);
        process.ErrorDataReceived += (_, e) => Add(lines, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static void Add(List<string> lines, string? line)
    {
        if (line is not null)
        {
            lock (lines)
            {
                lines.Add(line);
            }
        }
    }

    private static async Task<string> WaitForLineAsync(Process process, List<string> lines, Func<string, bool> match, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (lines)
            {
                if (lines.FirstOrDefault(match) is { } line)
                {
                    return line;
                }

                if (process.HasExited)
                {
                    Assert.Fail($"freshet exited ({process.ExitCode}) before the expected line; it printed:\n{string.Join('\n', lines)}");
                }

                Assert.True(DateTime.UtcNow < deadline, $"no expected line within {timeout.TotalSeconds} s; freshet printed:\n{string.Join('\n', lines)}");
            }

            await Task.Delay(50);
        }
    }

    [GeneratedRegex(@"Listening on (http://\S+/)")]
    private static partial Regex ListeningUrl();
}
