using System.CommandLine;
using System.Globalization;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query series FEATURE KEY...</c>: a feature bucket by bucket (<c>GET /v1/series/{feature}</c>).</summary>
internal static class QuerySeries
{
    public static Command Create(QueryOptions options)
    {
        var feature = new Argument<string>("FEATURE") { Description = "The feature, e.g. item_views" };
        var key = QueryArguments.Key();
        var resolution = QueryArguments.DurationOption("--resolution", "Bucket size, e.g. 1m, 1h, 1d [default: 1h]");
        var from = QueryArguments.TimeOption("--from", "First bucket", "7 days before --to, or as far back as buckets of this size are kept");
        var to = QueryArguments.TimeOption("--to", "End of the last bucket", "now");
        var command = new Command("series",
            "A feature of one key bucket by bucket, oldest first (default: the last 7 days hour by hour), with a bar per bucket on a terminal")
        {
            feature, key, resolution, from, to,
        };
        command.SetAction((result, cancellationToken) =>
        {
            string path = $"v1/series/{ApiPath.Segment(result.GetRequiredValue(feature))}" + ApiPath.Query(
            [
                .. ApiPath.KeyParameters(result.GetValue(key) ?? []),
                ("resolution", result.GetValue(resolution) is { } r ? QueryArguments.Format(r) : null),
                ("from", result.GetValue(from)?.ToString(CultureInfo.InvariantCulture)),
                ("to", result.GetValue(to)?.ToString(CultureInfo.InvariantCulture)),
            ]);
            return QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync(path, ct),
                (body, view) => Render(ApiJson.Read<SeriesResponse>(body, "GET /v1/series/{feature}"), view), cancellationToken);
        });
        return command;
    }

    private static void Render(SeriesResponse series, QueryView view)
    {
        view.Heading(Markup.Escape($"{series.Feature} of {QueryFormat.Key(series.Key)}, {series.Resolution} buckets"));
        if (series.Points.Count > 0)
        {
            view.Note(Markup.Escape($"{QueryFormat.Interval(series.From, series.To, null, view)} UTC"));
        }

        BucketTable.Write(view, "start (UTC)", series.Points.Select(p => (QueryFormat.Instant(p.Start, null), p.Value)).ToArray());
        if (series.Points.Count == 0)
        {
            view.Note("no buckets in that range");
        }
    }
}
