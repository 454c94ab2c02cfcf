using Freshet.Cli.Demo;
using Freshet.Contracts;
using Freshet.Events;
using Freshet.Seams;
using Freshet.Synthetic;
using Spectre.Console;

namespace Freshet.Cli.Tests;

/// <summary>
/// The demo's live view fits the terminal it is drawn in, down to the common 80×24: every line fits the width, the
/// frame fits the height, every table is whole (its bottom border drawn), and a curl command appears only whole, so
/// that a line copied from the view runs as printed.
/// </summary>
public sealed class LiveViewTests
{
    private static readonly Uri BaseAddress = new("http://127.0.0.1:7700/");

    [Theory]
    [InlineData(80, 24)]
    [InlineData(100, 30)]
    [InlineData(120, 50)]
    [InlineData(200, 60)]
    public void Render_AtTerminalSize_FitsWithWholeTablesAndWholeCommands(int width, int height)
    {
        var endpoint = Endpoint();

        var lines = RenderLines(width, height, endpoint);

        Assert.True(lines.Count <= height - 1, $"{lines.Count} lines for a {width}×{height} terminal:\n{string.Join('\n', lines)}");
        Assert.All(lines, line => Assert.True(line.Length <= width, $"a line of {line.Length} columns at width {width}: '{line}'"));
        Assert.Equal(lines.Count(l => l.StartsWith('╭')), lines.Count(l => l.StartsWith('╰'))); // No table or panel cut before its bottom.
        var commands = endpoint.Examples.Select(e => e.Command).ToHashSet();
        foreach (string line in lines.Where(l => l.Contains("curl -s", StringComparison.Ordinal)))
        {
            Assert.Contains(line.Trim(), commands);
        }

        // The parts that matter most are there at any size: throughput and memory, the models against the constant rate, trending items.
        string frame = string.Join('\n', lines);
        Assert.True(lines.Any(l => l.Contains("Freshet demo", StringComparison.Ordinal)), frame);
        Assert.True(lines.Any(l => l.Contains("RSS", StringComparison.Ordinal) && l.Contains("GC heap", StringComparison.Ordinal)), frame);
        Assert.True(lines.Any(l => l.Contains("Trending now", StringComparison.Ordinal)), frame);
        Assert.True(lines.Any(l => l.Contains("log loss", StringComparison.Ordinal)) && lines.Any(l => l.Contains("constant", StringComparison.Ordinal)), frame);
        // Where every command is whole, named in the view (the path may wrap at 80 columns, so it is looked for joined).
        Assert.Contains(endpoint.ExamplesFile!, string.Concat(lines.Select(l => l.Trim())), StringComparison.Ordinal);
    }

    [Fact]
    public void Render_WideAndTall_ShowsEveryCommandThatFitsWhole()
    {
        var endpoint = Endpoint();

        var lines = RenderLines(200, 60, endpoint);

        var shown = lines.Select(l => l.Trim()).Where(l => l.StartsWith("curl ", StringComparison.Ordinal)).ToList();
        Assert.Equal(endpoint.Examples.Select(e => e.Command), shown);
    }

    private static List<string> RenderLines(int width, int height, DemoEndpoint endpoint)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        console.Profile.Height = height;
        console.Profile.Capabilities.Unicode = true;
        var settings = new DemoSettings("/repo/samples/demo-features.yaml", null, 50_000, 42, null, DemoSettings.DefaultSpeed, null);

        console.Write(LiveView.Render(console, Snapshot(), settings, endpoint));

        return [.. writer.ToString().TrimEnd('\n').Split('\n').Select(l => l.TrimEnd('\r'))];
    }

    private static DemoEndpoint Endpoint()
    {
        string[] paths =
        [
            "v1/features",
            "v1/top/site_top_items?window=1h&k=10&with=item_ctr,item_views_trend&order_by=item_views_trend",
            "v1/vector/item?key=i43795&features=item_views,item_ctr,item_views_trend",
            "v1/vector/user?key=u165422",
            "v1/series/item_views?key=i43795&resolution=1h",
            "v1/profile/item_views?key=i43795&kind=hour_of_day",
            "v1/models",
            "v1/recommend?model=for_you&user=u165422&k=5",
        ];
        return new DemoEndpoint(BaseAddress, [.. paths.Select(p => new CurlExample($"what {p} returns", DemoExamples.Curl(BaseAddress, p)))],
            "/tmp/freshet-demo/examples-7700.sh");
    }

    /// <summary>A frame as full as the demo draws: wide numbers, a long history, both models, ten trending items, a user with many features.</summary>
    private static DemoSnapshot Snapshot()
    {
        var stats = new EngineStats(123_456_789, 0, new Dictionary<EventRejectReason, long>(), 0, new Dictionary<string, long>(), 60_000,
            1_765_000_000_000, 1, new DedupStats(600_000, 600_000, 0, 0, 1 << 28, 1_000_000, 0, 0, 0),
            [new ShardStats(0, 60_000_000, 1, 2, 64), new ShardStats(1, 60_000_000, 1, 0, 64)]);
        var history = Enumerable.Range(0, 40).Select(i => 40_000.0 + (i * 1_000)).ToList();
        var quality = new QualityDto(1_234_567, 60_000, 0.2220, 0.6512, 0.9480, 0.9810);
        var constant = new QualityDto(1_234_567, 60_000, 0.2342, 0.5, 1, 1);
        var models = new LearnerProgress(9_876_543, 12_345, 0, null,
        [
            new ModelProgress(new ModelDto("clicks", "click", Negatives: 1_000_000, Quality: quality, ConstantRate: constant, Sample: 0.1), 0.2223, 0.2301, 0.2126, history),
            new ModelProgress(new ModelDto("for_you", "recommender", Users: 123_456, Items: 98_765, Interactions: 4_567_890, Sample: 0.1), null, null, null, []),
        ]);
        var items = Enumerable.Range(1, 10)
            .Select(r => new TrendingItem(r, $"i{90_000 + r}", $"electronics-{r:00}", 12_345 - r, 12_345 - r, 4.6, 0.1234, 0.1201, r % 3 == 0))
            .ToList();
        var trending = new TrendingItems("site_top_items", "1h", "views 1h", "1h/1d", "1d", 0.34, items, null);
        var readings = new[] { "user_mobile_clicks", "user_min_cart_price", "user_max_cart_price", "user_decayed_spend", "user_last_query", "user_recent_items" }
            .Select((f, i) => new UserReading(f, "1d", i == 5 ? "i12345, i23456, i34567, i45678, … (+16)" : "1,234"))
            .ToList();
        var user = new UserVector("user", "u165422", readings, null);
        return new DemoSnapshot(TimeSpan.FromSeconds(1234.5), stats, 65_432, 54_321, 98_765, history, 1_764_892_800_000, 1_769_000_000_000, 3_600,
            new SyntheticCounts(1, 2, 3, 4, 5, 6, 0), new EngineFootprint(2_345_678, 250L << 20, 17, 900L << 20, 300L << 20), 12_345, 12,
            trending, user, models);
    }
}
