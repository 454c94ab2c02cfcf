using System.Globalization;
using Freshet.Cli.Replay;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Files.Mapping;
using Freshet.Files.Sources;
using Freshet.Reading;
using Freshet.Testing.TestData;
using Freshet.Time;

namespace Freshet.Cli.Tests.Replay;

/// <summary>The two targets end to end: an engine in process, and the server with retried ids, gzip and requests in flight.</summary>
public sealed class ReplayTargetsTests
{
    private const string Taobao = "taobao_userbehavior";

    private sealed record TaobaoRow(string User, string Item, string Behavior, long TimeMs);

    [DataFact(Taobao)]
    public async Task Replay_TaobaoIntoEmbeddedEngine_CountsMatchTheFile()
    {
        string path = SharedData.PathOf($"{Taobao}/UserBehavior.csv");
        var rows = File.ReadLines(path).Select(line => line.Split(','))
            .Select(p => new TaobaoRow(p[0], p[1], p[3], long.Parse(p[4], CultureInfo.InvariantCulture) * 1000)).ToList();
        var spec = MappingPresets.Find("taobao")!.Spec;
        Assert.True(InputFile.TryOpen(path, spec, out var source, out _, out _));
        var names = new FieldNameTable();
        Assert.True(FieldMapping.TryCreate(spec, names, source.Columns, out var mapping, out _));
        source.Bind(mapping);
        var counters = new ReplayCounters();
        var engine = FreshetEngine.Create(FeatureDefinitionLoader.Parse(ReplayServer.Yaml, "replay-test.yaml"), new EngineOptions { ShardCount = 2 });
        await using var target = new EngineTarget(engine, names, counters, 5000, "replay-test.yaml", OutgoingBatch.IdPrefixOf(path));
        using (source)
        {
            var mapper = new RowMapper(mapping, new EventTimeParser(spec.TimeUnit, null), names);
            await new ReplayPipeline(source, mapper, target, counters, null, null, long.MaxValue).RunAsync(CancellationToken.None);
        }

        Assert.Equal(110_300, counters.Accepted);
        Assert.Equal(0, counters.Rejected);
        long maxMs = rows.Max(r => r.TimeMs);
        var query = new VectorQuery { Features = ["item_views", "item_purchases"], WindowsMs = [Duration.Day], AsOfMs = maxMs };
        // Every item that was bought and every tenth of the others (85k items in all): the engine's reads are the point, not their number.
        foreach (var item in rows.GroupBy(r => r.Item).Where((g, i) => i % 10 == 0 || g.Any(r => r.Behavior == "buy")))
        {
            var readings = engine.Reader.ReadVector("item", [item.Key], query).ValueOrThrow().Readings;
            Assert.Equal(item.Count(r => r.Behavior == "pv"), readings.Single(r => r.Feature == "item_views").Value.Number);
            Assert.Equal(item.Count(r => r.Behavior == "buy"), readings.Single(r => r.Feature == "item_purchases").Value.Number);
        }
    }

    [DataFact(Taobao)]
    public async Task Replay_TaobaoPresetOnAUserGroupedFile_SortsInRunsOnDiskAndNothingIsLate()
    {
        // The original UserBehavior.csv is grouped by user (each user's rows in time order, users one after another);
        // the shared excerpt is time-ordered, so it is regrouped the original's way. A sort limit far below the file's
        // 110,300 rows makes the sort go through runs on disk, as the 100M-row original does with the default limit.
        string path = SharedData.PathOf($"{Taobao}/UserBehavior.csv");
        var lines = File.ReadLines(path).ToList();
        string grouped = ReplayFiles.Write(string.Concat(lines
            .Select((line, index) => (Fields: line.Split(','), Line: line, Index: index))
            .OrderBy(r => long.Parse(r.Fields[0], CultureInfo.InvariantCulture)).ThenBy(r => r.Index)
            .Select(r => r.Line + "\n")), ".csv");
        string features = ReplayFiles.Write(ReplayServer.Yaml, ".yaml");
        try
        {
            var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", grouped, "--preset", "taobao", "--features", features,
                "--sort-limit", "10000");

            Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
            Assert.Contains("  accepted     110,300\n", output, StringComparison.Ordinal);
            Assert.Contains("  rejected     0\n", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(grouped);
        }
    }

    [DataFact(Taobao)]
    public async Task Replay_ManyRequestsInFlightWithoutLateness_NoneIsMadeLate()
    {
        // With allowed_lateness 0, two batches applied out of order make the older one's events late: the replay must
        // keep such batches apart, while the server still gets gzip bodies and several requests at once where it can.
        const string yaml = """
            settings: { clock: event_time, allowed_lateness: 0 }
            entities: { item: item }
            features:
              item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
            """;
        await using var server = await ReplayServer.StartAsync(yaml);
        string path = SharedData.PathOf($"{Taobao}/UserBehavior.csv");

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--preset", "taobao", "--server", server.Url,
            "--batch-size", "700", "--in-flight", "8", "--gzip");

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("  accepted     110,300\n", output, StringComparison.Ordinal);
        Assert.Contains("  rejected     0\n", output, StringComparison.Ordinal);
        Assert.Contains("up to 8 in flight, gzip", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_ServerOverloaded_RetriesAfterTheDelayAndLosesNothing()
    {
        // One shard with a one-batch queue, paused: the server answers 503 with Retry-After until it is resumed.
        await using var server = await ReplayServer.StartAsync(engineOptions: new EngineOptions { ShardCount = 1, QueueCapacity = 1 });
        var engine = server.Engine;
        engine.PauseShards();
        string path = ReplayFiles.Write("type,time,item\n" + string.Concat(Enumerable.Range(0, 2000).Select(i => $"view,{1_700_000_000_000 + (i * 100)},i{i % 13}\n")), ".csv");

        var replay = ReplayFiles.RunAsync("replay", path, "--server", server.Url, "--batch-size", "100");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (!engine.IsSaturated && !replay.IsCompleted && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.True(engine.IsSaturated, "expected the paused shard's queue to fill within 10 s");
            await Task.Delay(300); // The replay keeps sending, and is refused while the queue is full.
        }
        finally
        {
            engine.ResumeShards();
        }

        var (exitCode, output, error) = await replay;
        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("  accepted     2,000\n", output, StringComparison.Ordinal);
        Assert.Contains("  duplicates   0\n", output, StringComparison.Ordinal);
        Assert.Matches(@"  requests     \d+  \([1-9]\d* retried\)", output);
    }

    [Fact]
    public async Task Replay_SameFileTwice_SecondTimeIsAllDuplicates()
    {
        await using var server = await ReplayServer.StartAsync();
        string path = ReplayFiles.Write("type,time,item\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"view,{1_700_000_000_000 + (i * 1000)},i{i % 7}\n")), ".csv");

        var first = await ReplayFiles.RunAsync("replay", path, "--server", server.Url);
        var second = await ReplayFiles.RunAsync("replay", path, "--server", server.Url);

        Assert.True(first.ExitCode == ExitCodes.Success, first.Error);
        Assert.Contains("  accepted     50\n", first.Output, StringComparison.Ordinal);
        Assert.True(second.ExitCode == ExitCodes.Success, second.Error);
        Assert.Contains("  accepted     0\n", second.Output, StringComparison.Ordinal);
        Assert.Contains("  duplicates   50  (ids the server had already seen", second.Output, StringComparison.Ordinal);
        var views = await server.ReadAsync("item", ["i0"], ["item_views"], "1h", 1_700_000_049_000);
        Assert.Equal(8, views["i0"]["item_views"].Value); // i0 at seconds 0, 7, …, 49: counted once despite two replays.
    }

    [Fact]
    public async Task Replay_UrlThatIsNotAFreshetServer_ExitsThreeSayingSo()
    {
        await using var server = await ReplayServer.StartAsync();
        string path = ReplayFiles.Write("type,time,item\nview,1700000000000,a\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, "--server", server.Url + "not/freshet");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("answered GET /v1/features with 404 Not Found: is it a Freshet server?", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_ServerClockPastTheFile_HintsAtAFreshServer()
    {
        await using var server = await ReplayServer.StartAsync();
        string later = ReplayFiles.Write("type,time,item\nview,1750000000000,a\n", ".csv");
        string earlier = ReplayFiles.Write("type,time,item\nview,1700000000000,a\n", ".csv");
        Assert.Equal(ExitCodes.Success, (await ReplayFiles.RunAsync("replay", later, "--server", server.Url)).ExitCode);

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", earlier, "--server", server.Url);

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("nothing was accepted", error, StringComparison.Ordinal);
        Assert.Contains("line 2: late:", output, StringComparison.Ordinal);
        Assert.Contains("hint: the server's clock was already at 2025-06-15 15:06:40 UTC", output, StringComparison.Ordinal);

        // The cause, in the server's terms and the file's, and what to do instead.
        Assert.Contains("so it takes events back to 2025-06-15 14:56:40 UTC only (allowed lateness 10m)", output, StringComparison.Ordinal);
        Assert.Contains("this file starts at 2023-11-14 22:13:20 UTC, so 1 event was rejected as late", output, StringComparison.Ordinal);
        Assert.Contains("History needs a server that has not seen newer events: start one on a new data directory and another port "
            + "(freshet serve --data ./history --url http://127.0.0.1:7701)", output, StringComparison.Ordinal);
    }

    [DataFact("rees46_ecommerce_sample")]
    public async Task Replay_Rees46Embedded_SummarySaysWhatTheEngineTook()
    {
        string features = ReplayFiles.Write(ReplayServer.Yaml, ".yaml");

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", SharedData.PathOf("rees46_ecommerce_sample/2019-Oct.csv"),
            "--preset", "rees46", "--features", features);

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("  accepted     17,434\n", output, StringComparison.Ordinal);
        Assert.Contains("line 17436: bad_row", output, StringComparison.Ordinal);
        Assert.Contains("engine: 17,434 events accepted, clock at 2019-10-01 02:50:00 UTC", output, StringComparison.Ordinal);
    }
}
