using Spectre.Console;
using Spectre.Console.Rendering;

namespace Freshet.Cli.Demo;

/// <summary>
/// The live terminal view, redrawn four times a second: a header with throughput, clocks and HTTP requests, the
/// server's address with the curl examples, the models learning from the stream, the trending items and one user's features. The examples sit near the top
/// because the view is cropped from the bottom when the terminal is short: they stay on screen to be copied.
/// </summary>
internal static class LiveView
{
    private static readonly TimeSpan RefreshInterval = TimeSpan.FromMilliseconds(250);

    public static async Task RunAsync(IAnsiConsole console, DemoMonitor monitor, DemoSettings settings, DemoEndpoint endpoint, CancellationToken stop)
    {
        bool unicode = console.Profile.Capabilities.Unicode;
        await console.Live(Render(monitor.Take(withFeatures: true), settings, endpoint, console.Profile.Width, unicode))
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

                    context.UpdateTarget(Render(monitor.Take(withFeatures: true), settings, endpoint, console.Profile.Width, unicode));
                }
            });
    }

    /// <summary>
    /// The address and one command per line, without a border or a description beside them, so that selecting a whole
    /// line copies a command and nothing else. A command wider than the terminal is cut with an ellipsis rather than
    /// wrapped (a line break would run half of it); <see cref="DemoRunner"/> prints them whole above the view then.
    /// </summary>
    private static Rows Examples(DemoEndpoint endpoint, int width, bool unicode)
    {
        var title = new Rule($"[bold]Serving[/] {Markup.Escape(endpoint.BaseAddress.ToString())} [grey]· paste into another terminal[/]")
            .LeftJustified()
            .RuleStyle(new Style(Color.Grey));
        var lines = new List<IRenderable> { title };
        foreach (var example in endpoint.Examples)
        {
            // Cut by hand: Spectre would wrap at the space after "curl -s" before any overflow setting applied.
            string line = " " + example.Command;
            lines.Add(new Text(line.Length < width ? line : line[..Math.Max(0, width - 2)] + (unicode ? "…" : "~")));
        }

        return new Rows(lines);
    }

    private static IRenderable Render(DemoSnapshot s, DemoSettings settings, DemoEndpoint endpoint, int width, bool unicode)
    {
        var parts = new List<IRenderable> { Header(s, settings, width, unicode), Examples(endpoint, width, unicode) };
        if (s.Models is { } models)
        {
            parts.Add(DemoTables.Models(models, unicode));
        }

        if (s.Trending is { } trending)
        {
            parts.Add(DemoTables.Trending(trending, unicode));
        }

        if (s.User is { } user)
        {
            parts.Add(DemoTables.User(user));
        }

        string star = unicode ? "★" : "*";
        parts.Add(new Markup($"[grey] {star} promoted now (ground truth the trend should spot) · trend: recent ÷ long-run rate · Ctrl+C stops[/]"));
        return new Rows(parts);
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
            $"[bold]{DemoFormat.Count(s.Footprint.Tiles),11}[/]  [grey]tiles ·[/] {DemoFormat.Bytes(s.Footprint.TileBytes)} [grey]· process[/] {DemoFormat.Bytes(s.Footprint.ProcessBytes)}");
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
