using Freshet.Events;
using Spectre.Console;

namespace Freshet.Cli.Demo;

/// <summary>The end-of-run summary: events, rates, rejections by reason, state kept, HTTP requests served, and the simulated span.</summary>
internal static class DemoSummary
{
    public static void Write(IAnsiConsole console, DemoSnapshot s, Uri baseAddress)
    {
        var footprint = s.Footprint;
        var rejected = s.Stats.RejectedByReason.Where(r => r.Value > 0).Select(r => $"{Reason(r.Key)} {DemoFormat.Count(r.Value)}").ToList();
        var g = s.Generated;
        long simulatedMs = s.SimulatedNowMs - s.SimulatedStartMs;
        double speed = s.Elapsed.TotalMilliseconds > 0 ? simulatedMs / s.Elapsed.TotalMilliseconds : 0;

        var grid = new Grid().AddColumn(new GridColumn().PadRight(4).NoWrap()).AddColumn();
        grid.AddRow("events accepted", $"[bold]{DemoFormat.Count(s.Stats.Accepted)}[/]");
        grid.AddRow("events/s", $"[bold]{DemoFormat.Count(s.AverageEventsPerSecond)}[/] average, {DemoFormat.Count(s.PeakEventsPerSecond)} peak");
        grid.AddRow("rejected", rejected.Count == 0 ? "0" : $"{DemoFormat.Count(s.Stats.Rejected)} ({string.Join(", ", rejected)})");
        grid.AddRow("tiles", $"{DemoFormat.Count(footprint.Tiles)} in {footprint.StatefulFeatures} stateful features ({DemoFormat.Bytes(footprint.TileBytes)}; "
            + $"process {DemoFormat.Bytes(footprint.ProcessBytes)})");
        grid.AddRow("http", $"{DemoFormat.Count(s.HttpRequests)} request{(s.HttpRequests == 1 ? "" : "s")} served at {Markup.Escape(baseAddress.ToString())}");
        grid.AddRow("elapsed", DemoFormat.Seconds(s.Elapsed));
        grid.AddRow("simulated", $"{DemoFormat.SimulatedTime(s.SimulatedStartMs)} → {DemoFormat.SimulatedTime(s.SimulatedNowMs)} UTC "
            + $"({DemoFormat.Span(simulatedMs)}, ×{DemoFormat.Count(speed)} real time)");
        grid.AddRow("generated", $"{DemoFormat.Compact(g.Views)} views, {DemoFormat.Compact(g.Clicks)} clicks, {DemoFormat.Compact(g.Carts)} carts, "
            + $"{DemoFormat.Compact(g.Purchases)} purchases, {DemoFormat.Compact(g.Searches)} searches in {DemoFormat.Compact(g.Sessions)} sessions");
        if (s.Stats.EventsWithoutFeatures > 0)
        {
            grid.AddRow("unused", $"{DemoFormat.Count(s.Stats.EventsWithoutFeatures)} events of types no feature consumes");
        }

        console.Write(new Panel(grid).Header("[bold]Summary[/]").Border(BoxBorder.Rounded).BorderColor(Color.Grey));
    }

    private static string Reason(EventRejectReason reason) => reason switch
    {
        EventRejectReason.Late => "late",
        EventRejectReason.Future => "future",
        _ => reason.ToString(),
    };
}
