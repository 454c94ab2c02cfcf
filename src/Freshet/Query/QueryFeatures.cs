using System.CommandLine;
using System.Globalization;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query features [NAME]</c>: the catalog as a table (<c>GET /v1/features</c>), or one feature in detail.</summary>
internal static class QueryFeatures
{
    public static Command Create(QueryOptions options)
    {
        var name = new Argument<string?>("NAME")
        {
            Description = "One feature to show in full [default: list every feature]",
            Arity = ArgumentArity.ZeroOrOne,
        };
        var command = new Command("features", "The feature catalog the server runs: each feature's entity, aggregation, events, field, windows and version") { name };
        command.SetAction((result, cancellationToken) =>
        {
            string? feature = result.GetValue(name);
            return feature is null
                ? QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync("v1/features", ct),
                    (body, view) => RenderCatalog(ApiJson.Read<CatalogResponse>(body, "GET /v1/features"), view), cancellationToken)
                : QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync($"v1/features/{ApiPath.Segment(feature)}", ct),
                    (body, view) => RenderFeature(ApiJson.Read<FeatureDto>(body, "GET /v1/features/{name}"), view), cancellationToken);
        });
        return command;
    }

    private static void RenderCatalog(CatalogResponse catalog, QueryView view)
    {
        view.Heading(Markup.Escape($"{catalog.Features.Count} features from {catalog.Source}"
            + (catalog.DeclaredVersion is { } declared ? $" (version {declared})" : "")
            + $", catalog {catalog.CatalogVersion}"));
        view.Note(Markup.Escape($"clock {catalog.Clock}, allowed lateness {catalog.AllowedLateness}, max future {catalog.MaxFuture}, "
            + (catalog.Now is { } now ? $"now {QueryFormat.Utc(now)}" : "no events yet")));
        var table = view.Table();
        table.AddColumn(view.Column("name"));
        table.AddColumn(view.Column("entity"));
        table.AddColumn(view.Column("aggregation"));
        table.AddColumn(view.Column("events"));
        table.AddColumn(view.Column("field"));
        table.AddColumn(view.Column("windows"));
        table.AddColumn(view.Column("version"));
        foreach (var feature in catalog.Features)
        {
            table.AddRow(
                Markup.Escape(feature.Name),
                Markup.Escape(feature.Entity),
                Markup.Escape(Aggregation(feature)),
                Cell(feature.Events, view),
                feature.Field is { } field ? Markup.Escape(field) : view.None,
                Markup.Escape(Windows(feature)),
                Markup.Escape(feature.Version));
        }

        view.Write(table);
        view.Note(Markup.Escape("entities: " + string.Join(", ", catalog.Entities.Select(e => $"{e.Name} [{string.Join(", ", e.Key)}]"))));
    }

    private static void RenderFeature(FeatureDto feature, QueryView view)
    {
        view.Heading(Markup.Escape($"{feature.Name} ({feature.Entity}: {Aggregation(feature)})"));
        var table = view.Table();
        table.AddColumn(view.Column("property"));
        table.AddColumn(view.Column("value"));
        void Row(string label, string? value)
        {
            if (value is not null)
            {
                table.AddRow(Markup.Escape(label), Markup.Escape(value));
            }
        }

        Row("description", feature.Description);
        Row("entity", feature.Entity);
        Row("aggregation", feature.Aggregation);
        Row("events", Join(feature.Events));
        Row("filter", feature.Filter is { Count: > 0 } filter ? string.Join(" and ", filter) : null);
        Row("field", feature.Field);
        Row("k", feature.K?.ToString(CultureInfo.InvariantCulture));
        Row("half life", feature.HalfLife);
        Row("numerator", feature.Numerator);
        Row("denominator", feature.Denominator);
        Row("prior", feature.Prior is { } prior ? $"alpha {QueryFormat.Number(prior.Alpha)}, beta {QueryFormat.Number(prior.Beta)}" : null);
        Row("source", feature.Source);
        Row("short", feature.Short);
        Row("long", feature.Long);
        Row("windows", Join(feature.Windows));
        Row("tiles", feature.Tiles.Count == 0 ? null : string.Join(", ", feature.Tiles.Select(t => $"{t.Resolution} kept {t.Keep}")));
        Row("version", feature.Version);
        Row("state version", feature.StateVersion);
        view.Write(table);
    }

    /// <summary>The aggregation with what it is built from: <c>ratio(item_clicks / item_views)</c>, <c>top_k(k=20)</c>.</summary>
    private static string Aggregation(FeatureDto f) => f.Aggregation switch
    {
        "ratio" => $"ratio({f.Numerator} / {f.Denominator})",
        "trend" => $"trend({f.Source})",
        _ when f.K is { } k => $"{f.Aggregation}(k={k.ToString(CultureInfo.InvariantCulture)})",
        _ when f.HalfLife is { } halfLife => $"{f.Aggregation}(half life {halfLife})",
        _ => f.Aggregation,
    };

    /// <summary>A trend has no windows of its own: it compares its short window with its long one.</summary>
    private static string Windows(FeatureDto f) =>
        f.Short is not null && f.Long is not null ? $"{f.Short}/{f.Long}" : Join(f.Windows) ?? "";

    private static string Cell(IReadOnlyList<string>? values, QueryView view) =>
        Join(values) is { } text ? Markup.Escape(text) : view.None;

    private static string? Join(IReadOnlyList<string>? values) => values is { Count: > 0 } ? string.Join(",", values) : null;
}
