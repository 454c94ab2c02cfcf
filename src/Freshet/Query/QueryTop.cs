using System.CommandLine;
using System.Globalization;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query top FEATURE [KEY...]</c>: the heaviest items of a top_k feature over one window (<c>GET /v1/top/{feature}</c>).</summary>
internal static class QueryTop
{
    private const int MaxItems = 3;

    public static Command Create(QueryOptions options)
    {
        var feature = new Argument<string>("FEATURE") { Description = "A top_k feature, e.g. site_top_items" };
        var key = QueryArguments.Key("The key of the top_k feature's entity, if it has one (none for a global entity like site)");
        var window = QueryArguments.DurationOption("--window", "The window, e.g. 1h [default: the feature's first window]", "-w");
        var k = QueryArguments.WholeNumberOption("-k", "n", "How many items [default: all the feature keeps]", 1, 1_000_000);
        var with = QueryArguments.ListOption("--with", "features",
            "Features of each item to show beside it, comma-separated, e.g. item_ctr,item_trend (read from the entity keyed by the item field)");
        var orderBy = new Option<string?>("--order-by")
        {
            Description = "Re-rank the items by one feature of each item (added to --with), e.g. item_trend: what is rising among what is popular",
            HelpName = "feature",
        };
        var asOf = QueryArguments.TimeOption("--as-of", "Read the list as it was at this time", "now");
        var command = new Command("top", "The top items of a top_k feature over one window, heaviest first or re-ranked by --order-by")
        {
            feature, key, window, k, with, orderBy, asOf,
        };
        command.SetAction((result, cancellationToken) =>
        {
            string path = $"v1/top/{ApiPath.Segment(result.GetRequiredValue(feature))}" + ApiPath.Query(
            [
                .. ApiPath.KeyParameters(result.GetValue(key) ?? []),
                ("window", result.GetValue(window) is { } w ? QueryArguments.Format(w) : null),
                ("k", result.GetValue(k)?.ToString(CultureInfo.InvariantCulture)),
                ("with", result.GetValue(with) is { Length: > 0 } features ? string.Join(',', features) : null),
                ("order_by", result.GetValue(orderBy)),
                ("as_of", result.GetValue(asOf)?.ToString(CultureInfo.InvariantCulture)),
            ]);
            return QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync(path, ct),
                (body, view) => Render(ApiJson.Read<TopResponse>(body, "GET /v1/top/{feature}"), view), cancellationToken);
        });
        return command;
    }

    private static void Render(TopResponse top, QueryView view)
    {
        string of = top.Key.Count == 0 ? "" : $" of {QueryFormat.Key(top.Key)}";
        view.Heading(Markup.Escape($"{top.Feature}{of}: top {top.Items.Count} over {top.Window} at {QueryFormat.Utc(top.At)}"
            + (top.OrderBy is { } orderBy ? $", ordered by {orderBy}" : "")));
        view.Note(Markup.Escape($"interval {QueryFormat.Interval(top.From, top.To, QueryFormat.Date(top.At), view)} UTC"));

        var columns = top.Items.Where(i => i.Features is not null)
            .SelectMany(i => i.Features!.SelectMany(f => f.Value.Keys.Select(w => (Feature: f.Key, Window: w))))
            .Distinct().ToArray();
        bool anyError = top.Items.Any(i => i.Error is > 0);
        var table = view.Table();
        table.AddColumn(view.Column("#", right: true));
        table.AddColumn(view.Column("item"));
        table.AddColumn(view.Column("count", right: true));
        if (anyError)
        {
            // Space-Saving overestimates a count by at most this much; the true count is in [count - error, count].
            table.AddColumn(view.Column("± error", right: true));
        }

        foreach (var (feature, w) in columns)
        {
            table.AddColumn(view.Column($"{feature} {w}", right: true));
        }

        int rank = 0;
        foreach (var item in top.Items)
        {
            var cells = new List<string>
            {
                (++rank).ToString(CultureInfo.InvariantCulture),
                item.Item is { } name ? Markup.Escape(name) : view.None,
                QueryFormat.Number(item.Value),
            };
            if (anyError)
            {
                cells.Add(item.Error is { } error ? QueryFormat.Number(error) : "0");
            }

            foreach (var (feature, w) in columns)
            {
                cells.Add(item.Features is not null && item.Features.TryGetValue(feature, out var readings) && readings.TryGetValue(w, out var reading)
                    ? QueryFormat.Value(reading.Value, view, MaxItems)
                    : view.None);
            }

            table.AddRow([.. cells]);
        }

        view.Write(table);
        if (top.Items.Count == 0)
        {
            view.Note("no items in the window");
        }
    }
}
