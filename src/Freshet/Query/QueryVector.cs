using System.CommandLine;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query vector ENTITY KEY...</c>: one key's features, feature × window → value (<c>GET /v1/vector/{entity}</c>).</summary>
internal static class QueryVector
{
    /// <summary>Items of a top-k or last-k value shown in a cell before "… +N".</summary>
    private const int MaxItems = 5;

    public static Command Create(QueryOptions options)
    {
        var entity = new Argument<string>("ENTITY") { Description = "The entity, e.g. item, user, user_category" };
        var key = QueryArguments.Key();
        var features = QueryArguments.Features();
        var windows = QueryArguments.Windows();
        var asOf = QueryArguments.TimeOption("--as-of", "Read the features as they were at this time", "now");
        var command = new Command("vector",
            "The feature vector of one key: every feature of the entity (or --features) over each window, with the interval each summed. "
            + "A composite key is one value per key field: 'freshet query vector user_category u1 shoes'.")
        {
            entity, key, features, windows, asOf,
        };
        command.SetAction((result, cancellationToken) =>
        {
            string path = $"v1/vector/{ApiPath.Segment(result.GetRequiredValue(entity))}" + ApiPath.Query(
            [
                .. ApiPath.KeyParameters(result.GetValue(key) ?? []),
                ("features", result.GetValue(features) is { Length: > 0 } f ? string.Join(',', f) : null),
                ("windows", result.GetValue(windows) is { Length: > 0 } w ? QueryArguments.FormatAll(w) : null),
                ("as_of", result.GetValue(asOf)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
            return QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync(path, ct),
                (body, view) => Render(ApiJson.Read<VectorResponse>(body, "GET /v1/vector/{entity}"), view), cancellationToken);
        });
        return command;
    }

    private static void Render(VectorResponse vector, QueryView view)
    {
        view.Heading(Markup.Escape($"{vector.Entity} {QueryFormat.Key(vector.Key)} at {QueryFormat.Utc(vector.At)}"));
        if (!vector.KnownKey)
        {
            view.Note("no events for this key: counts are 0 and other values empty");
        }

        var reference = QueryFormat.Date(vector.At);
        var table = view.Table();
        table.AddColumn(view.Column("feature"));
        table.AddColumn(view.Column("window"));
        table.AddColumn(view.Column("value", right: true));
        table.AddColumn(view.Column("interval (UTC)"));
        foreach (var (feature, readings) in vector.Features)
        {
            bool first = true;
            foreach (var (window, reading) in readings)
            {
                // On a terminal the feature name heads its group; in plain text every row names it so grep finds it.
                string name = first || !view.Live ? Markup.Escape(feature) : "";
                table.AddRow(name, Markup.Escape(window), QueryFormat.Value(reading.Value, view, MaxItems),
                    Markup.Escape(QueryFormat.Interval(reading.From, reading.To, reference, view)));
                first = false;
            }
        }

        view.Write(table);
    }
}
