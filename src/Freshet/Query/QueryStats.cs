using System.CommandLine;
using System.Globalization;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query stats</c>: the server's counters since it started (<c>GET /v1/stats</c>).</summary>
internal static class QueryStats
{
    public static Command Create(QueryOptions options)
    {
        var command = new Command("stats", "Counters since the server started: events accepted, duplicates, rejected by reason, and each shard's progress");
        command.SetAction((result, cancellationToken) =>
            QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync("v1/stats", ct),
                (body, view) => Render(ApiJson.Read<StatsResponse>(body, "GET /v1/stats"), view), cancellationToken));
        return command;
    }

    private static void Render(StatsResponse stats, QueryView view)
    {
        view.Heading(Markup.Escape($"Freshet counters, catalog {stats.CatalogVersion}, "
            + (stats.Now is { } now ? $"now {QueryFormat.Utc(now)}" : "no events yet")));
        var counters = view.Table();
        counters.AddColumn(view.Column("counter"));
        counters.AddColumn(view.Column("value", right: true));
        void Row(string name, long value) => counters.AddRow(Markup.Escape(name), Count(value));

        Row("accepted", stats.Accepted);
        Row("duplicates", stats.Duplicates);
        Row("rejected", stats.Rejected);
        foreach (var (reason, count) in stats.RejectedByReason.OrderByDescending(r => r.Value).ThenBy(r => r.Key, StringComparer.Ordinal))
        {
            Row($"rejected: {reason}", count);
        }

        Row("events without features", stats.EventsWithoutFeatures);
        foreach (var (entity, count) in stats.MissingKeyByEntity.Where(m => m.Value > 0).OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            Row($"missing key for {entity}", count);
        }

        Row("batches", stats.Batches);
        Row("dedup ids remembered", stats.Dedup.Ids);
        counters.AddRow("dedup horizon (covered now)", Markup.Escape($"{stats.Dedup.Horizon} ({stats.Dedup.Covered})"));
        Row("dedup requests refused (memory full)", stats.Dedup.RefusedRequests);
        view.Write(counters);

        var shards = view.Table();
        shards.AddColumn(view.Column("shard", right: true));
        shards.AddColumn(view.Column("events applied", right: true));
        shards.AddColumn(view.Column("applied sequence", right: true));
        shards.AddColumn(view.Column("queue depth", right: true));
        foreach (var shard in stats.Shards)
        {
            shards.AddRow(Count(shard.Index), Count(shard.EventsApplied), Count(shard.AppliedSequence), Count(shard.QueueDepth));
        }

        view.Console.WriteLine();
        view.Write(shards);
    }

    /// <summary>Counters are exact integers; digits are not grouped so the plain output stays easy to parse.</summary>
    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
