using System.CommandLine;
using Freshet.Contracts;
using Spectre.Console;

namespace Freshet.Cli.Query;

/// <summary><c>freshet query profile FEATURE KEY...</c>: a feature folded by hour of day or day of week (<c>GET /v1/profile/{feature}</c>).</summary>
internal static class QueryProfile
{
    public static Command Create(QueryOptions options)
    {
        var feature = new Argument<string>("FEATURE") { Description = "The feature, e.g. item_views" };
        var key = QueryArguments.Key();
        var kind = new Option<string>("--kind")
        {
            Description = "Fold by hour of day (24 slots, UTC) or day of week (Monday first)",
            HelpName = "hour_of_day|day_of_week",
            DefaultValueFactory = _ => "hour_of_day",
        };
        kind.AcceptOnlyFromAmong("hour_of_day", "day_of_week");
        var days = QueryArguments.WholeNumberOption("--days", "n", "Fold the last N days, today included [default: 7 by hour of day, 28 by day of week]", 1, 366);
        var command = new Command("profile",
            "A feature of one key folded by hour of day or day of week (UTC): when in the day or week its events happen")
        {
            feature, key, kind, days,
        };
        command.SetAction((result, cancellationToken) =>
        {
            string path = $"v1/profile/{ApiPath.Segment(result.GetRequiredValue(feature))}" + ApiPath.Query(
            [
                .. ApiPath.KeyParameters(result.GetValue(key) ?? []),
                ("kind", result.GetValue(kind)),
                ("days", result.GetValue(days)?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
            return QueryCommand.RunAsync(result, options, (client, ct) => client.GetAsync(path, ct),
                (body, view) => Render(ApiJson.Read<ProfileResponse>(body, "GET /v1/profile/{feature}"), view), cancellationToken);
        });
        return command;
    }

    private static void Render(ProfileResponse profile, QueryView view)
    {
        bool hours = profile.Kind == "hour_of_day";
        view.Heading(Markup.Escape($"{profile.Feature} of {QueryFormat.Key(profile.Key)} by {(hours ? "hour of day" : "day of week")} (UTC)"));
        view.Note(Markup.Escape($"{QueryFormat.Interval(profile.From, profile.To, null, view)} UTC"));
        BucketTable.Write(view, hours ? "hour" : "day", profile.Slots.Select(s => (hours ? s.Slot + ":00" : s.Slot, s.Value)).ToArray());
    }
}
