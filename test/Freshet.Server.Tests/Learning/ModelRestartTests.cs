using System.Net.Http.Json;
using Freshet.Engine;
using Freshet.Engine.Storage;
using Freshet.Learning.Pipeline;
using Freshet.Testing.TestData;
using static Freshet.Server.Tests.TestServer;

namespace Freshet.Server.Tests.Learning;

/// <summary>
/// Models survive restarts: after a clean stop they load their saved state, and when that state is lost (a crash
/// before any save) they learn the event log again before the stream resumes. Either way they end up exactly like
/// models that never stopped (features are ids only here, so training is deterministic).
/// </summary>
public sealed class ModelRestartTests
{
    private const string Models = ShopModels.Yaml;

    private static readonly ModelSet ModelSet = ModelDefinitionLoader.Parse(Models, "models.yaml");

    [Fact]
    public async Task Restart_AfterACleanStopOrWithTheStateLost_GivesTheModelsOfAnUninterruptedRun()
    {
        var (first, second) = Stream();
        string uninterrupted;
        await using (var server = await StartAsync(new ServerOptions { Models = ModelSet }))
        {
            await ShopStream.PostAndLearnAsync(server, first, chunk: 200);
            await ShopStream.PostAndLearnAsync(server, second, chunk: 200);
            uninterrupted = await DescribeModelsAsync(server);
        }

        string root = Path.Combine(Path.GetTempPath(), "freshet-server-tests", Guid.NewGuid().ToString("N"));
        try
        {
            // A clean stop saves the models with the offset they reached; the restart loads them and replays nothing.
            string clean = Path.Combine(root, "clean");
            await using (var server = await StartAsync(Options(clean, saveModels: true), engineOptions: Engine(clean)))
            {
                await ShopStream.PostAndLearnAsync(server, first, chunk: 200);
            }

            await using (var server = await StartAsync(Options(clean, saveModels: true), engineOptions: Engine(clean)))
            {
                Assert.Equal(0, (await server.GetJsonAsync("v1/models")).GetProperty("events_replayed").GetInt64());
                await ShopStream.PostAndLearnAsync(server, second, chunk: 200);
                Assert.Equal(uninterrupted, await DescribeModelsAsync(server));
            }

            // State saved part-way (as after a kill between two saves): the models load it and learn the rest of the log.
            string partial = Path.Combine(root, "partial");
            string saved = Path.Combine(root, "saved-part-way");
            await using (var server = await StartAsync(Options(partial, saveModels: true) with { ModelSaveInterval = TimeSpan.Zero }, engineOptions: Engine(partial)))
            {
                await ShopStream.PostAndLearnAsync(server, first[..(first.Count / 2)], chunk: 200);
                CopyDirectory(Path.Combine(partial, "models"), saved); // Saved after every batch: this is the state at half of the first part.
                await ShopStream.PostAndLearnAsync(server, first[(first.Count / 2)..], chunk: 200);
            }

            Directory.Delete(Path.Combine(partial, "models"), recursive: true);
            CopyDirectory(saved, Path.Combine(partial, "models"));
            await using (var server = await StartAsync(Options(partial, saveModels: true), engineOptions: Engine(partial)))
            {
                Assert.Equal(first.Count - (first.Count / 2), (await server.GetJsonAsync("v1/models")).GetProperty("events_replayed").GetInt64());
                await ShopStream.PostAndLearnAsync(server, second, chunk: 200);
                Assert.Equal(uninterrupted, await DescribeModelsAsync(server));
            }

            // No saved state (as after a kill before the first save): the models learn the whole log again at start.
            string lost = Path.Combine(root, "lost");
            await using (var server = await StartAsync(Options(lost, saveModels: false), engineOptions: Engine(lost)))
            {
                await ShopStream.PostAndLearnAsync(server, first, chunk: 200);
            }

            await using (var server = await StartAsync(Options(lost, saveModels: true), engineOptions: Engine(lost)))
            {
                Assert.Equal(first.Count, (await server.GetJsonAsync("v1/models")).GetProperty("events_replayed").GetInt64());
                await ShopStream.PostAndLearnAsync(server, second, chunk: 200);
                Assert.Equal(uninterrupted, await DescribeModelsAsync(server));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from, "*.model"))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    private static ServerOptions Options(string directory, bool saveModels) =>
        new() { Models = ModelSet, ModelStateDirectory = saveModels ? Path.Combine(directory, "models") : null };

    private static EngineOptions Engine(string directory) =>
        new() { ShardCount = 2, Storage = new StorageOptions { Directory = directory, CheckpointInterval = TimeSpan.Zero } };

    /// <summary>1,000 views over 20 minutes, over 50 items of each category; split in two halves of the stream.</summary>
    private static (List<string> First, List<string> Second) Stream()
    {
        var (lines, _) = ShopStream.Generate(seed: 9, views: 1_000, itemsPerCategory: 50, stepMs: 1_200);
        return (lines[..(lines.Count / 2)], lines[(lines.Count / 2)..]);
    }

    /// <summary>What the models answer and report, as one string to compare: figures, scores and recommendations.</summary>
    private static async Task<string> DescribeModelsAsync(TestServer server)
    {
        var models = (await server.GetJsonAsync("v1/models")).GetProperty("models").EnumerateArray()
            .Select(m => m.GetProperty("name").GetString() + ": " + string.Join(", ", m.EnumerateObject()
                .Where(p => p.Name is not "name").Select(p => $"{p.Name}={p.Value.GetRawText()}")));
        var request = new
        {
            model = "clicks",
            context = new Dictionary<string, string> { ["user"] = "u3" },
            candidates = Enumerable.Range(0, 6).Select(i => new Dictionary<string, string> { ["item"] = i % 2 == 0 ? $"s{i}" : $"b{i}", ["category"] = i % 2 == 0 ? "shoes" : "bags" }).ToArray(),
        };
        using var scored = await server.Client.PostAsJsonAsync("v1/score", request);
        var ranked = (await ReadAsync(scored, 200)).GetProperty("ranked").GetRawText();
        var recommended = new List<string>();
        foreach (string user in new[] { "u3", "u40", "u59" })
        {
            recommended.Add((await server.GetJsonAsync($"v1/recommend?model=for_you&user={user}&k=5")).GetProperty("items").GetRawText());
        }

        return string.Join("\n", models) + "\n" + ranked + "\n" + string.Join("\n", recommended);
    }
}
