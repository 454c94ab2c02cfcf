using Freshet.Events;
using Spectre.Console;

namespace Freshet.Cli.Demo;

/// <summary>The end-of-run summary: events, rates, rejections by reason, state kept, HTTP requests served, the simulated span and the models' quality.</summary>
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
        foreach (var model in s.Models?.Models ?? [])
        {
            grid.AddRow($"model {Markup.Escape(model.Model.Name)}", Markup.Escape(ModelLine(model)));
        }

        if (s.Models is { Skipped: > 0 } learner)
        {
            grid.AddRow("learner", $"{DemoFormat.Count(learner.Skipped)} events skipped while it was behind the stream (of {DemoFormat.Count(learner.Learned + learner.Skipped)})");
        }

        if (s.Stats.EventsWithoutFeatures > 0)
        {
            grid.AddRow("unused", $"{DemoFormat.Count(s.Stats.EventsWithoutFeatures)} events of types no feature consumes");
        }

        console.Write(new Panel(grid).Header("[bold]Summary[/]").Border(BoxBorder.Rounded).BorderColor(Color.Grey));
    }

    /// <summary>A click model's progressive quality over the run next to the constant rate's; a recommender's size.</summary>
    private static string ModelLine(ModelProgress progress)
    {
        var m = progress.Model;
        if (m.Quality is not { } q || m.ConstantRate is not { } c)
        {
            return $"{DemoFormat.Count(m.Interactions ?? 0)} interactions learned, {DemoFormat.Count(m.Users ?? 0)} users, {DemoFormat.Count(m.Items ?? 0)} items";
        }

        string Figure(double? x) => x is { } value ? DemoFormat.Decimal(value, "0.0000") : "–";
        string last = progress.RecentLogLoss is { } recent ? $"; last 5 s {Figure(recent)}" + (progress.FirstLogLoss is { } first ? $", at the start {Figure(first)}" : "") : "";
        return $"{DemoFormat.Count(q.Examples)} examples: log loss {Figure(q.LogLoss)} (constant rate {Figure(c.LogLoss)}){last}, "
            + $"NE {Figure(q.NormalizedEntropy)}, AUC {Figure(q.Auc)}, calibration {Figure(q.Calibration)}";
    }

    private static string Reason(EventRejectReason reason) => reason switch
    {
        EventRejectReason.Late => "late",
        EventRejectReason.Future => "future",
        _ => reason.ToString(),
    };
}
