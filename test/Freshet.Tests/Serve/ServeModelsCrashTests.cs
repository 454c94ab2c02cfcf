using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Freshet.Testing.TestData;

namespace Freshet.Cli.Tests.Serve;

/// <summary>
/// The real <c>freshet serve --data --models</c>, killed with SIGKILL mid-stream after a model save and some events
/// past it, then restarted: it loads the saved models, learns the logged tail, takes the rest of the stream, and ends
/// with the models of a server that never stopped — the same probabilities for every candidate, to the last bit, and
/// the same recommendations (ids-only features, one trainer per model: training is deterministic).
/// </summary>
public sealed partial class ServeModelsCrashTests
{
    private const string Features = """
        settings: { clock: event_time, allowed_lateness: 1m }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    private const string Models = ShopModels.Yaml;

    [Fact]
    public async Task Serve_KilledAfterASaveAndRestarted_EndsWithTheModelsOfAnUninterruptedServer()
    {
        string root = Path.Combine(Path.GetTempPath(), $"freshet-models-crash-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        string features = Path.Combine(root, "features.yaml"), models = Path.Combine(root, "models.yaml");
        await File.WriteAllTextAsync(features, Features);
        await File.WriteAllTextAsync(models, Models);
        var events = Stream(6_000);
        int firstCut = events.Count / 3, secondCut = 2 * events.Count / 3;
        try
        {
            string uninterrupted;
            using (var server = await Server.StartAsync(root, "uninterrupted", features, models))
            {
                await server.PostAsync(events);
                uninterrupted = await server.ModelAnswersAsync();
            }

            using (var server = await Server.StartAsync(root, "killed", features, models))
            {
                await server.PostAsync(events[..firstCut]);
                await server.WaitForSaveCoveringAsync(firstCut);
                await server.PostAsync(events[firstCut..secondCut]);
                server.Process.Kill(); // After the save, with a tail of events only the log holds.
            }

            using (var server = await Server.StartAsync(root, "killed", features, models))
            {
                await server.WaitForLearnedAsync(0); // Catching up happens before it listens; nothing new yet.
                var catchUp = await server.ModelsAsync();
                long replayed = catchUp.GetProperty("events_replayed").GetInt64();
                // The tail since the save, not the whole log: the saved models were loaded.
                Assert.True(replayed > 0 && replayed < secondCut, $"the restart learned {replayed} logged events, expected the tail of {secondCut - firstCut}: {catchUp}");
                await server.PostAsync(events[secondCut..]);
                Assert.Equal(uninterrupted, await server.ModelAnswersAsync());
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>Views of 200 users and 300 items in 5 categories, a click on about one in ten a few seconds later; every event has an id.</summary>
    private static List<string> Stream(int views)
    {
        var random = new Random(11);
        var lines = new List<string>(views * 2);
        const long start = 1_764_547_200_000; // 2025-12-01 00:00 UTC: event time drives the clock, the wall clock plays no part.
        for (int n = 0; n < views; n++)
        {
            long time = start + (n * 1000L);
            int user = random.Next(200), item = random.Next(300);
            string fields = FormattableString.Invariant($"\"user\": \"u{user}\", \"item\": \"i{item}\", \"category\": \"c{item % 5}\"");
            lines.Add(FormattableString.Invariant($"{{\"id\": \"v{n}\", \"type\": \"view\", \"time\": {time}, {fields}}}"));
            if (random.NextDouble() < (item % 5 == 0 ? 0.3 : 0.05))
            {
                lines.Add(FormattableString.Invariant($"{{\"id\": \"c{n}\", \"type\": \"click\", \"time\": {time + 500}, {fields}}}"));
            }
        }

        return lines;
    }

    /// <summary>One run of freshet serve on a data directory under the test's root, and its HTTP client.</summary>
    private sealed class Server : IDisposable
    {
        private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

        private readonly string _data;
        private long _posted;
        private long _lastTimeMs;

        private Server(ChildProcess process, HttpClient client, string data) => (Process, Client, _data) = (process, client, data);

        public ChildProcess Process { get; }

        public HttpClient Client { get; }

        public static async Task<Server> StartAsync(string root, string name, string features, string models)
        {
            string data = Path.Combine(root, name);
            var process = ChildProcess.StartFreshet("serve", "--url", "http://127.0.0.1:0", "--data", data, "--features", features, "--models", models,
                "--shards", "2", "--checkpoint-interval", "200ms");
            await process.WaitForAsync(lines => lines.Any(l => ListeningUrl().IsMatch(l)), Timeout, "its address");
            string url = process.Lines.Select(l => ListeningUrl().Match(l)).First(m => m.Success).Groups[1].Value;
            var server = new Server(process, new HttpClient { BaseAddress = new Uri(url) }, data);
            server._posted = (await server.ModelsAsync()).GetProperty("events_learned").GetInt64();
            return server;
        }

        /// <summary>Posts the events in batches of 500, each acknowledged as durable, and waits until the models learned them.</summary>
        public async Task PostAsync(IReadOnlyList<string> events)
        {
            foreach (var chunk in events.Chunk(500))
            {
                using var body = new StringContent(string.Join('\n', chunk), Encoding.UTF8, "application/x-ndjson");
                using var response = await Client.PostAsync("/v1/events?wait=true", body);
                string answer = await response.Content.ReadAsStringAsync();
                Assert.True(response.IsSuccessStatusCode, $"{response.StatusCode}: {answer[..Math.Min(answer.Length, 600)]}");
            }

            _posted += events.Count;
            _lastTimeMs = long.Parse(TimeField().Match(events[^1]).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            await WaitForLearnedAsync(_posted);
        }

        public async Task WaitForLearnedAsync(long events)
        {
            var deadline = DateTime.UtcNow + Timeout;
            while (true)
            {
                var models = await ModelsAsync();
                if (models.GetProperty("events_learned").GetInt64() >= events)
                {
                    Assert.Equal(0, models.GetProperty("events_skipped").GetInt64());
                    Assert.Equal(0, models.GetProperty("failures").GetInt64());
                    return;
                }

                Assert.True(DateTime.UtcNow < deadline, $"the models learned {models.GetProperty("events_learned")} of {events} events: {models}");
                await Task.Delay(20);
            }
        }

        /// <summary>
        /// Waits until both models' state files were written after the models learned <paramref name="events"/>
        /// events (a save every 200 ms, when the learner next takes a batch: posting nothing keeps it waiting, so one
        /// heartbeat event of a type no model learns is posted per try).
        /// </summary>
        public async Task WaitForSaveCoveringAsync(long events)
        {
            var learnedAt = DateTime.UtcNow;
            var deadline = learnedAt + Timeout;
            string directory = Path.Combine(_data, "models");
            for (int beat = 0; ; beat++)
            {
                if (new[] { "clicks", "for_you" }.All(m => File.GetLastWriteTimeUtc(Path.Combine(directory, m + ".model")) > learnedAt))
                {
                    return;
                }

                Assert.True(DateTime.UtcNow < deadline, $"no model save after {events} events within {Timeout.TotalSeconds} s");
                await PostAsync([FormattableString.Invariant($"{{\"id\": \"beat{beat}\", \"type\": \"heartbeat\", \"time\": {_lastTimeMs}}}")]);
                await Task.Delay(50);
            }
        }

        public async Task<JsonElement> ModelsAsync() => await Client.GetFromJsonAsync<JsonElement>("/v1/models");

        /// <summary>What the models answer: every user's ranking of 30 items and 3 users' recommendations, as raw JSON.</summary>
        public async Task<string> ModelAnswersAsync()
        {
            var answers = new StringBuilder();
            var candidates = Enumerable.Range(0, 30).Select(i => new Dictionary<string, string> { ["item"] = $"i{i * 7}", ["category"] = $"c{i * 7 % 5}" }).ToList();
            foreach (int user in new[] { 0, 17, 199 })
            {
                using var score = await Client.PostAsJsonAsync("/v1/score", new { model = "clicks", context = new Dictionary<string, string> { ["user"] = $"u{user}" }, candidates });
                answers.AppendLine(await score.Content.ReadAsStringAsync());
                answers.AppendLine(await Client.GetStringAsync($"/v1/recommend?model=for_you&user=u{user}&k=10"));
            }

            var models = await ModelsAsync();
            foreach (var model in models.GetProperty("models").EnumerateArray())
            {
                // Counts and quality, without the learner's counters (the restart replayed some events).
                answers.AppendLine(model.ToString());
            }

            return answers.ToString();
        }

        public void Dispose()
        {
            Client.Dispose();
            Process.Dispose();
        }
    }

    [GeneratedRegex(@"""time"": (\d+)")]
    private static partial Regex TimeField();

    [GeneratedRegex(@"Listening on (http://\S+/)")]
    private static partial Regex ListeningUrl();
}
