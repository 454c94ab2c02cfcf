using Spectre.Console;
using Spectre.Console.Rendering;

namespace Freshet.Cli.Demo;

/// <summary>
/// The live terminal view, redrawn four times a second: a header with throughput, clocks, memory and HTTP requests, the
/// server's address with the curl examples that fit the width, the models learning from the stream, the trending
/// items and one user's features. It fits the terminal it is in, down to 80×24: parts are laid out in that order of
/// importance and each is shown whole or left out (the tables with fewer rows first), so nothing is cut mid-row; every
/// command is printed whole above the view and in a file the view names.
/// </summary>
internal static class LiveView
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Below this width the models table keeps its key columns only.</summary>
    private const int WideWidth = 110;

    /// <summary>
    /// From this height on the view lists the commands that fit and shows the tables whole; below it (80×24 is the
    /// common default) the examples are one line naming where they are, the models a few lines, and the trending list
    /// its top <see cref="ShortTrendingRows"/>.
    /// </summary>
    private const int TallHeight = 40;

    private const int ShortTrendingRows = 5;

    public static async Task RunAsync(IAnsiConsole console, DemoMonitor monitor, DemoSettings settings, DemoEndpoint endpoint, CancellationToken stop)
    {
        await console.Live(Render(console, monitor.Take(withFeatures: true), settings, endpoint))
            .AutoClear(false)
            .Overflow(VerticalOverflow.Ellipsis)
            .Cropping(VerticalOverflowCropping.Bottom)
            .StartAsync(async context =>
            {
                while (!stop.IsCancellationRequested && monitor.KeepRunning)
                {
                    try
                    {
                        await Task.Delay(RefreshInterval, stop);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }

                    context.UpdateTarget(Render(console, monitor.Take(withFeatures: true), settings, endpoint));
                }
            });
    }

    /// <summary>
    /// One frame for <paramref name="console"/>'s size: the header and the examples always, then the models, trending
    /// items, user and legend while they fit whole in the lines left (one is kept free for the cursor).
    /// </summary>
    internal static IRenderable Render(IAnsiConsole console, DemoSnapshot s, DemoSettings settings, DemoEndpoint endpoint)
    {
        int width = console.Profile.Width;
        bool unicode = console.Profile.Capabilities.Unicode;
        var options = RenderOptions.Create(console, console.Profile.Capabilities);
        int left = console.Profile.Height - 1;
        var parts = new List<IRenderable>();

        void Add(IRenderable part)
        {
            parts.Add(part);
            left -= Height(part, options, width);
        }

        // The first candidate that fits whole, if any: a table with all its rows, then with fewer.
        void AddFirstFitting(IEnumerable<IRenderable> candidates)
        {
            foreach (var candidate in candidates)
            {
                if (Height(candidate, options, width) <= left)
                {
                    Add(candidate);
                    return;
                }
            }
        }

        bool tall = console.Profile.Height >= TallHeight;
        Add(Header(s, settings, width, unicode));
        Add(tall ? Examples(endpoint, width) : ExamplesLine(endpoint));
        if (s.Models is { } models)
        {
            AddFirstFitting(tall && width >= WideWidth ? [DemoTables.Models(models, unicode), DemoTables.ModelLines(models)]
                : tall ? [DemoTables.Models(models, unicode, compact: true), DemoTables.ModelLines(models)]
                : [DemoTables.ModelLines(models)]);
        }

        if (s.Trending is { } trending)
        {
            // The whole list, else as many rows as fit (at least 3: fewer say little about what is trending).
            int most = tall ? trending.Items.Count : Math.Min(ShortTrendingRows, trending.Items.Count);
            AddFirstFitting(Enumerable.Range(Math.Min(3, most), Math.Max(0, most - Math.Min(3, most) + 1)).Reverse()
                .Select(n => n == trending.Items.Count ? DemoTables.Trending(trending, unicode)
                    : DemoTables.Trending(trending with { Items = [.. trending.Items.Take(n)] }, unicode)));
        }

        if (s.User is { } user)
        {
            AddFirstFitting(Enumerable.Range(1, user.Readings.Count).Reverse()
                .Select(n => DemoTables.User(user with { Readings = [.. user.Readings.Take(n)] }, n < user.Readings.Count ? user.Readings.Count - n : 0)));
        }

        string star = unicode ? "★" : "*";
        AddFirstFitting([new Markup($"[grey] {star} promoted now (ground truth the trend should spot) · trend: recent ÷ long-run rate · Ctrl+C stops[/]")]);
        return new Rows(parts);
    }

    /// <summary>The address and where the commands are, for a short terminal.</summary>
    private static Markup ExamplesLine(DemoEndpoint endpoint) => new(
        $"[bold]Serving[/] {Markup.Escape(endpoint.BaseAddress.ToString())} [grey]· curl commands to paste: printed above"
        + (endpoint.ExamplesFile is { } file ? $", and in {Markup.Escape(file)}" : "") + "[/]");

    /// <summary>Lines <paramref name="part"/> takes at <paramref name="width"/>.</summary>
    internal static int Height(IRenderable part, RenderOptions options, int width) =>
        Segment.SplitLines(part.Render(options, width), width).Count;

    /// <summary>
    /// The address and the commands that fit the width, one per line, without a border or a description beside them,
    /// so that selecting a whole line copies a command and nothing else. A command is never cut or wrapped (a line break
    /// would run half of it): those wider than the terminal are left out here, and the last line says where all of them
    /// are whole (printed above the view, and in the examples file).
    /// </summary>
    private static Rows Examples(DemoEndpoint endpoint, int width)
    {
        var title = new Rule($"[bold]Serving[/] {Markup.Escape(endpoint.BaseAddress.ToString())} [grey]· paste into another terminal[/]")
            .LeftJustified()
            .RuleStyle(new Style(Color.Grey));
        var lines = new List<IRenderable> { title };
        int hidden = 0;
        foreach (var example in endpoint.Examples)
        {
            string line = " " + example.Command;
            if (line.Length < width)
            {
                lines.Add(new Text(line));
            }
            else
            {
                hidden++;
            }
        }

        string where = endpoint.ExamplesFile is { } file ? $"above, and in {file}" : "above";
        string note = hidden > 0 ? $" {hidden} more (too wide to show whole): {where}" : $" all of them: {where}";
        lines.Add(new Text(note, new Style(Color.Grey)));
        return new Rows(lines);
    }

    private static Panel Header(DemoSnapshot s, DemoSettings settings, int width, bool unicode)
    {
        var history = s.RateHistory.Skip(Math.Max(0, s.RateHistory.Count - (width >= 110 ? 40 : 12))).ToList();
        string queues = string.Join(" ", s.Stats.Shards.Select(shard => shard.QueueDepth.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var grid = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        grid.AddRow("[grey]events/s[/]",
            $"[bold green]{DemoFormat.Count(s.EventsPerSecond),11}[/]  [green]{DemoFormat.Sparkline(history, unicode)}[/]  "
            + $"[grey]average[/] {DemoFormat.Count(s.AverageEventsPerSecond)} [grey]· peak[/] {DemoFormat.Count(s.PeakEventsPerSecond)}");
        grid.AddRow("[grey]events[/]",
            $"[bold]{DemoFormat.Count(s.Stats.Accepted),11}[/]  [grey]accepted ·[/] {DemoFormat.Count(s.Stats.Rejected)} [grey]rejected · queues[/] {queues}");
        grid.AddRow("[grey]state[/]",
            $"[bold]{DemoFormat.Count(s.Footprint.Tiles),11}[/]  [grey]tiles ·[/] {DemoFormat.Bytes(s.Footprint.TileBytes)}");
        grid.AddRow("[grey]memory[/]",
            $"[bold]{DemoFormat.Bytes(s.Footprint.ProcessBytes),11}[/]  [grey]RSS (the process) ·[/] {DemoFormat.Bytes(s.Footprint.HeapBytes)} [grey]GC heap[/]");
        grid.AddRow("[grey]http[/]",
            $"[bold]{DemoFormat.Count(s.HttpRequestsPerSecond),11}[/]  [grey]requests/s ·[/] {DemoFormat.Count(s.HttpRequests)} [grey]served[/]");
        grid.AddRow("[grey]simulated[/]",
            $"[bold]{DemoFormat.SimulatedTime(s.SimulatedNowMs)}[/] UTC  [grey]×{DemoFormat.Count(s.SimulatedSpeed)} · "
            + $"{DemoFormat.Span(s.SimulatedNowMs - s.SimulatedStartMs)} in {DemoFormat.Seconds(s.Elapsed)}[/]");
        string rate = settings.RatePerSecond is { } r ? DemoFormat.Compact(r) + "/s" : "max";
        string title = $"[bold]Freshet demo[/] [grey]· {Markup.Escape(Path.GetFileName(settings.FeaturesPath))} · {s.Stats.Shards.Count} shards · rate {rate} · seed {settings.Seed}[/]";
        return new Panel(grid).Header(title).Border(BoxBorder.Rounded).BorderColor(Color.Grey).Expand();
    }
}
