using System.Globalization;
using System.Text;
using System.Text.Json;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Learning.Pipeline;
using Freshet.Server;

namespace Freshet.Cli.Tests.Replay;

/// <summary>
/// <c>freshet replay</c>, run as a process, into the real server on a loopback port whose recommender learns slowly
/// (200 negatives per interaction on 256 factors, about a millisecond an event on a busy machine): the events are all
/// answered long before the model has learned them. By default the replay waits for the models and says so; with
/// --no-wait-for-learners it ends at once and says how far behind they are.
/// </summary>
public sealed class ReplayLearnersTests(Xunit.Abstractions.ITestOutputHelper log)
{
    private const string Models = """
        models:
          slow:
            kind: recommender
            events: [view]
            factors: 256
            negatives: 200
            evaluate: 0
        """;

    private const int Events = 3_000;

    [Fact]
    public async Task Replay_IntoAServerWithModels_WaitsUntilTheyHaveLearnedEveryEvent()
    {
        await using var server = await StartAsync();
        string path = WriteViews();

        var (exitCode, output) = await RunReplayAsync(path, server.Url);
        var models = await server.ModelsAsync(); // At once: nothing may still be learning.

        Assert.True(exitCode == 0, output);
        Assert.Equal(Events, models.GetProperty("events_learned").GetInt64());
        Assert.Equal(0, models.GetProperty("learner_lag").GetInt64());
        Assert.Equal(models.GetProperty("accepted_through").GetInt64(), models.GetProperty("learned_through").GetInt64());
        Assert.Contains("waiting for the server's models to learn ", output, StringComparison.Ordinal);
        Assert.Matches(@"  learners     1 model learned every event [\d.]+ s after the last was answered \([\d,]+ behind then\); the file.s end closed every attribution window", output);
    }

    [Fact]
    public async Task Replay_NoWaitForLearners_EndsAtOnceAndShowsTheLag()
    {
        await using var server = await StartAsync();
        string path = WriteViews();

        var (exitCode, output) = await RunReplayAsync(path, server.Url, "--no-wait-for-learners");
        var models = await server.ModelsAsync();

        Assert.True(exitCode == 0, output);
        var lag = System.Text.RegularExpressions.Regex.Match(output, @"  learners     1 model ([\d,]+) events behind when the last was answered \(not waited for");
        Assert.True(lag.Success, output);
        Assert.True(long.Parse(lag.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, output);
        Assert.True(models.GetProperty("events_learned").GetInt64() < Events, models.ToString()); // The wait above is not vacuous.
        Assert.True(models.GetProperty("learner_lag").GetInt64() > 0, models.ToString());
    }

    private async Task<(int ExitCode, string Output)> RunReplayAsync(string path, string url, params string[] extra)
    {
        using var replay = ChildProcess.StartFreshet(["replay", path, "--server", url, "--batch-size", "1000", .. extra]);
        await replay.WaitForExitAsync(TimeSpan.FromMinutes(2));
        string output = string.Join('\n', replay.Lines) + "\n";
        log.WriteLine(output);
        return (replay.ExitCode, output);
    }

    /// <summary>Views of 300 users over 500 items, one a second.</summary>
    private static string WriteViews()
    {
        var random = new Random(7);
        var lines = new StringBuilder();
        for (int i = 0; i < Events; i++)
        {
            lines.Append(CultureInfo.InvariantCulture, $"{{\"type\": \"view\", \"time\": {1_700_000_000_000 + (i * 1000L)}, \"user\": \"u{random.Next(300)}\", \"item\": \"i{random.Next(500)}\"}}\n");
        }

        return ReplayFiles.Write(lines.ToString(), ".ndjson");
    }

    private static async Task<ModelServer> StartAsync()
    {
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(ReplayServer.Yaml, "replay-test.yaml"), new EngineOptions { ShardCount = 2 });
        var server = await FreshetServer.StartAsync(engine, new ServerOptions
        {
            Url = "http://127.0.0.1:0",
            FrameworkLogging = false,
            Models = ModelDefinitionLoader.Parse(Models, "models.yaml"),
        });
        return new ModelServer(engine, server);
    }

    private sealed class ModelServer(FreshetEngine engine, RunningServer server) : IAsyncDisposable
    {
        private readonly HttpClient _client = new() { BaseAddress = server.BaseAddress };

        public string Url => server.BaseAddress.ToString();

        public async Task<JsonElement> ModelsAsync()
        {
            using var document = JsonDocument.Parse(await _client.GetStringAsync("v1/models"));
            return document.RootElement.Clone();
        }

        public async ValueTask DisposeAsync()
        {
            _client.Dispose();
            await server.DisposeAsync();
            await engine.DisposeAsync();
        }
    }
}
