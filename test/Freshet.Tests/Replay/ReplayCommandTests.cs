namespace Freshet.Cli.Tests.Replay;

/// <summary><c>freshet replay</c> run in process: its errors, its summary, and a replay into an embedded engine.</summary>
public sealed class ReplayCommandTests
{
    internal const string Features = """
        settings: { clock: event_time, allowed_lateness: 10m }
        entities: { item: item }
        features:
          item_views: { entity: item, events: [view], aggregation: count, windows: [1h] }
        """;

    [Fact]
    public async Task Replay_MissingFile_ExitsOneNamingIt()
    {
        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", "no/such/events.csv");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("no/such/events.csv: no such file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnknownPreset_ListsThePresets()
    {
        string path = ReplayFiles.Write("type,time\nview,1700000000000\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, "--preset", "amazon");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--preset amazon: no such preset; the presets are: rees46, yoochoose, taobao, movielens, diginetica", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnknownColumnInMap_ListsTheColumns()
    {
        string path = ReplayFiles.Write("event_type,event_time,sku\nview,1700000000000,a\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, "--map", "type=event_type", "--map", "time=event_time", "--map", "item=product_id");

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains("--map item=product_id: the file has no column 'product_id'; its columns are: event_type, event_time, sku", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--time-unit", "hours", "--time-unit: 'hours' is not a time unit; use ms, s, us or ns.")]
    [InlineData("--format", "xml", "--format: 'xml' is not a format; use csv, tsv or ndjson.")]
    [InlineData("--speed", "fast", "--speed: 'fast' is not 'max' or a positive number")]
    [InlineData("--server", "ftp://x", "--server: 'ftp://x' is not an http:// or https:// address")]
    [InlineData("--batch-size", "0", "--batch-size must be between 1 and 1,000,000, not 0.")]
    [InlineData("--map", "item", "--map item: expected target=column")]
    public async Task Replay_InvalidOption_ExitsOneSayingWhatIsExpected(string option, string value, string message)
    {
        string path = ReplayFiles.Write("type,time\nview,1700000000000\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, option, value);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_UnreachableServer_ExitsThreeSayingSo()
    {
        string path = ReplayFiles.Write("type,time\nview,1700000000000\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, "--server", "http://127.0.0.1:1");

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("cannot reach the Freshet server at http://127.0.0.1:1/", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_Replay_ListsThePresetsAsOptions()
    {
        var (exitCode, output, _) = await ReplayFiles.RunAsync("replay", "--help");

        Assert.Equal(ExitCodes.Success, exitCode);
        Assert.Contains("rees46      --map type=event_type --map time=event_time", output, StringComparison.Ordinal);
        Assert.Contains("taobao      --format csv --no-header --columns user,item,category,type,time", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_Embedded_PrintsTheSummaryWithRejectionsByLine()
    {
        string features = ReplayFiles.Write(Features, ".yaml");
        string path = ReplayFiles.Write(
            "event_type,event_time,product_id\n"
            + "view,2019-10-01 00:00:00 UTC,a\n"
            + "view,2019-10-01 00:00:01 UTC,b\n"
            + "view,yesterday,c\n"
            + "view,2019-10-01 00:30:00 UTC,a\n"
            + "view,2019-10-01 00:05:00 UTC,late\n"
            + "view,2019-10-01 00:30:01 UTC,a", ".csv");

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--features", features, "--shards", "1",
            "--map", "type=event_type", "--map", "time=event_time", "--map", "item=product_id");

        Assert.True(exitCode == ExitCodes.Success, $"exit {exitCode}: {error}\n{output}");
        Assert.Contains("replaying into an embedded engine", output, StringComparison.Ordinal);
        Assert.Matches(@"Replayed 6 rows of \w+\.csv into an embedded engine", output);
        Assert.Contains("  accepted     4\n", output, StringComparison.Ordinal);
        Assert.Contains("  rejected     2  (rejections alone do not fail a replay)", output, StringComparison.Ordinal);
        Assert.Matches(@"bad_time +1  while reading the file", output);
        Assert.Matches(@"late +1  by the target", output);
        Assert.Contains("line 4: bad_time: column 'event_time': time 'yesterday' is not a time", output, StringComparison.Ordinal);
        Assert.Contains("line 6: late: 'time' 2019-10-01T00:05:00.000Z is more than the allowed lateness", output, StringComparison.Ordinal);
        Assert.Contains("hint: 1 event was late", output, StringComparison.Ordinal);
        Assert.Contains("engine: 4 events accepted, clock at 2019-10-01 00:30:01 UTC", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_NothingAccepted_ExitsThree()
    {
        string path = ReplayFiles.Write("type,time\nview,yesterday\n", ".csv");

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--features", ReplayFiles.Write(Features, ".yaml"));

        Assert.Equal(ExitCodes.Failure, exitCode);
        Assert.Contains("nothing was accepted", error, StringComparison.Ordinal);
        Assert.Contains("line 2: bad_time", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Replay_WithSpeed_TakesTheEventsTimeDividedBySpeed()
    {
        // Two seconds of events at 8× real time: at least a quarter of a second.
        string path = ReplayFiles.Write("type,time,item\nview,1700000000000,a\nview,1700000001000,a\nview,1700000002000,a\n", ".csv");
        var stopwatch = System.Diagnostics.Stopwatch.StartNew();

        var (exitCode, output, error) = await ReplayFiles.RunAsync("replay", path, "--speed", "8", "--features", ReplayFiles.Write(Features, ".yaml"));

        Assert.True(exitCode == ExitCodes.Success, error);
        Assert.True(stopwatch.Elapsed >= TimeSpan.FromMilliseconds(240), $"took only {stopwatch.Elapsed}");
        Assert.Contains("at 8× real time", output, StringComparison.Ordinal);
        Assert.Contains("  accepted     3\n", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("257")]
    public async Task Replay_ShardsOutOfRange_SaysTheRangeServeAndDemoSay(string shards)
    {
        string path = ReplayFiles.Write("type,time\nview,1700000000000\n", ".csv");

        var (exitCode, _, error) = await ReplayFiles.RunAsync("replay", path, "--shards", shards);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.Contains($"--shards must be between 1 and 256, not {shards}.", error, StringComparison.Ordinal);
    }
}
