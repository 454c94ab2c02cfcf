using Spectre.Console;
using Spectre.Console.Rendering;

namespace Freshet.Cli.Demo;

/// <summary>The trending-items, sample-user and models tables, shared by the live view and the plain end-of-run report.</summary>
internal static class DemoTables
{
    /// <summary>A trend at least this high (the recent rate over the long-run rate) is highlighted as rising.</summary>
    private const double Rising = 2;

    public static IRenderable Trending(TrendingItems trending, bool unicode)
    {
        string title = $"[bold]Trending now[/] [grey]({Markup.Escape(trending.Feature)}, last {trending.Window})[/]";
        var table = new Table().Border(TableBorder.Rounded).BorderColor(Color.Grey).Title(title).Expand();
        table.AddColumn(new TableColumn("#").RightAligned());
        table.AddColumn("item");
        table.AddColumn("category");
        table.AddColumn(new TableColumn(trending.ViewsLabel ?? $"count {trending.Window}").RightAligned());
        if (trending.TrendLabel is { } trendLabel)
        {
            table.AddColumn(new TableColumn($"trend {trendLabel}").RightAligned());
        }

        if (trending.CtrLabel is { } ctrLabel)
        {
            table.AddColumn(new TableColumn($"CTR {ctrLabel}").RightAligned());
            table.AddColumn(new TableColumn("[grey]true CTR[/]").RightAligned());
        }

        foreach (var item in trending.Items)
        {
            var cells = new List<string>
            {
                item.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(item.Item) + (item.Promoted ? (unicode ? " [yellow]★[/]" : " [yellow]*[/]") : ""),
                Markup.Escape(item.Category ?? ""),
                trending.ViewsLabel is null ? DemoFormat.Count(item.Count) : item.Views is { } views ? DemoFormat.Count(views) : "–",
            };
            if (trending.TrendLabel is not null)
            {
                cells.Add(TrendCell(item.Trend, unicode));
            }

            if (trending.CtrLabel is not null)
            {
                cells.Add(item.Ctr is { } ctr ? DemoFormat.Percent(ctr) : "–");
                cells.Add(item.TrueCtr is { } truth ? $"[grey]{DemoFormat.Percent(truth)}[/]" : "");
            }

            table.AddRow([.. cells]);
        }

        if (trending.Problem is { } problem)
        {
            table.Caption($"[red]{Markup.Escape(problem)}[/]");
        }
        else if (trending.Items.Count == 0)
        {
            table.Caption("[grey]no events in the window yet[/]");
        }
        else if (trending.TrendBaselineFilled < 1 && trending.TrendLabel is { } label)
        {
            // With less history than the long window, the long-run rate is underestimated and every trend reads high.
            table.Caption($"[grey]trends settle once the stream has a full {Markup.Escape(label[(label.IndexOf('/', StringComparison.Ordinal) + 1)..])} of history: "
                + $"{DemoFormat.Percent(trending.TrendBaselineFilled)} so far[/]");
        }

        return table;
    }

    /// <summary>The user's features; <paramref name="more"/> readings left out for lack of room are counted in the caption.</summary>
    public static IRenderable User(UserVector user, int more = 0)
    {
        string title = $"[bold]One active user[/] [grey]({Markup.Escape(user.Entity)} {Markup.Escape(user.User)}, a new one every few seconds)[/]";
        var table = new Table().Border(TableBorder.Rounded).BorderColor(Color.Grey).Title(title).Expand();
        table.AddColumn("feature");
        table.AddColumn(new TableColumn("window").RightAligned());
        table.AddColumn("value");
        foreach (var reading in user.Readings)
        {
            table.AddRow(Markup.Escape(reading.Feature), Markup.Escape(reading.Window), Markup.Escape(reading.Value));
        }

        if (user.Problem is { } problem)
        {
            table.Caption($"[red]{Markup.Escape(problem)}[/]");
        }
        else if (more > 0)
        {
            table.Caption($"[grey]{more} more in a taller terminal[/]");
        }

        return table;
    }

    /// <summary>
    /// The models learning from the stream: for a click model its log loss over the examples labelled in the last few
    /// seconds with a sparkline, the constant rate's over the same examples, how much lower the model's is (what
    /// learning buys: the figures themselves rise and fall with the shop's hour, as clicks get likelier or rarer), and
    /// its whole-run AUC, normalized entropy and calibration; for a recommender its size.
    /// </summary>
    /// <remarks>
    /// <paramref name="compact"/> (a narrow terminal) leaves out normalized entropy and calibration and the sparkline.
    /// </remarks>
    public static IRenderable Models(LearnerProgress learner, bool unicode, bool compact = false)
    {
        string skipped = learner.Skipped > 0 ? $" · {DemoFormat.Compact(learner.Skipped)} skipped while the learner was behind" : "";
        string title = $"[bold]Models learning from the stream[/] [grey]({DemoFormat.Compact(learner.Learned)} events learned{skipped})[/]";
        var table = new Table().Border(TableBorder.Rounded).BorderColor(Color.Grey).Title(title).Expand();
        table.AddColumn("model");
        table.AddColumn(new TableColumn("examples").RightAligned());
        table.AddColumn(compact ? "log loss 5 s" : "log loss, last 5 s");
        table.AddColumn(new TableColumn(compact ? "[grey]constant[/]" : "[grey]constant rate[/]").RightAligned());
        table.AddColumn(new TableColumn("lower by").RightAligned());
        table.AddColumn(new TableColumn("AUC").RightAligned());
        if (!compact)
        {
            table.AddColumn(new TableColumn("NE").RightAligned());
            table.AddColumn(new TableColumn("calibration").RightAligned());
        }

        foreach (var progress in learner.Models)
        {
            var m = progress.Model;
            string name = Markup.Escape(m.Name) + (m.Sample is < 1 and var share ? $" [grey]{DemoFormat.Percent(share)} of keys[/]" : "");
            if (m.Quality is not { } q)
            {
                var cells = new List<string> { name, DemoFormat.Compact(m.Interactions ?? 0),
                    $"[grey]recommender: {DemoFormat.Compact(m.Users ?? 0)} users, {DemoFormat.Compact(m.Items ?? 0)} items[/]", "", "", "" };
                cells.AddRange(compact ? [] : ["", ""]);
                table.AddRow([.. cells]);
                continue;
            }

            string loss = progress.RecentLogLoss is { } recent
                ? $"[bold]{DemoFormat.Decimal(recent, "0.0000")}[/]" + (compact ? "" : $" [green]{DemoFormat.Sparkline(progress.History, unicode)}[/]")
                : "[grey]waiting for examples (negatives come when their attribution window closes)[/]";
            string gain = progress.RecentLogLoss is { } model && progress.RecentConstantLogLoss is { } constant && constant > 0
                ? GainCell(1 - (model / constant))
                : "–";
            var row = new List<string> { name, DemoFormat.Compact(q.Examples), loss,
                progress.RecentConstantLogLoss is { } c ? $"[grey]{DemoFormat.Decimal(c, "0.0000")}[/]" : "–", gain, Figure(q.Auc) };
            row.AddRange(compact ? [] : [Figure(q.NormalizedEntropy), Figure(q.Calibration)]);
            table.AddRow([.. row]);
        }

        if (learner.Failures > 0)
        {
            table.Caption($"[red]{DemoFormat.Count(learner.Failures)} events failed: {Markup.Escape(learner.LastFailure ?? "")}[/]");
        }

        return table;
    }

    /// <summary>
    /// The models in a few lines, for a short or narrow terminal: a title, then one line per model with the figures
    /// that say whether it learns (its recent log loss, the constant rate's, how much lower, AUC).
    /// </summary>
    public static IRenderable ModelLines(LearnerProgress learner)
    {
        string skipped = learner.Skipped > 0 ? $", {DemoFormat.Compact(learner.Skipped)} skipped" : "";
        var lines = new List<IRenderable>
        {
            new Markup($"[bold]Models learning[/] [grey]({DemoFormat.Compact(learner.Learned)} events learned{skipped}; log loss of the last 5 s)[/]"),
        };
        foreach (var progress in learner.Models)
        {
            // One line each at 80 columns: the share of keys learned is in the wide table and the summary.
            var m = progress.Model;
            string name = $" [bold]{Markup.Escape(m.Name)}[/]";
            if (m.Quality is not { } q)
            {
                lines.Add(new Markup($"{name}  [grey]recommender: {DemoFormat.Compact(m.Users ?? 0)} users, {DemoFormat.Compact(m.Items ?? 0)} items, "
                    + $"{DemoFormat.Compact(m.Interactions ?? 0)} interactions[/]"));
            }
            else if (progress.RecentLogLoss is { } model && progress.RecentConstantLogLoss is { } constant && constant > 0)
            {
                lines.Add(new Markup($"{name}  log loss [bold]{DemoFormat.Decimal(model, "0.0000")}[/] [grey]· constant rate {DemoFormat.Decimal(constant, "0.0000")} ·[/] "
                    + $"{GainCell(1 - (model / constant))} lower [grey]· AUC[/] {Figure(q.Auc)}"));
            }
            else
            {
                lines.Add(new Markup($"{name}  [grey]waiting for labelled examples[/]"));
            }
        }

        if (learner.Failures > 0)
        {
            lines.Add(new Markup($"[red] {DemoFormat.Count(learner.Failures)} events failed: {Markup.Escape(learner.LastFailure ?? "")}[/]"));
        }

        return new Rows(lines);
    }

    /// <summary>How much lower the model's log loss is than the constant rate's: green when it is lower, red when not.</summary>
    private static string GainCell(double share) => share > 0 ? $"[green]{DemoFormat.Percent(share)}[/]" : $"[red]{DemoFormat.Percent(share)}[/]";

    private static string Figure(double? x) => x is { } value ? DemoFormat.Decimal(value, "0.000") : "–";

    private static string TrendCell(double? trend, bool unicode) => trend switch
    {
        null => "–",
        >= Rising => $"[green bold]{(unicode ? "▲ " : "^ ")}{DemoFormat.Decimal(trend.Value, "0.0")}[/]",
        <= 1 / Rising => $"[red]{(unicode ? "▼ " : "v ")}{DemoFormat.Decimal(trend.Value)}[/]",
        _ => DemoFormat.Decimal(trend.Value),
    };
}
