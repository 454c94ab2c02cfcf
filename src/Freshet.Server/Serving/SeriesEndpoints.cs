using Freshet.Contracts;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Serving;

/// <summary>A feature over time: <c>GET /v1/series/{feature}</c> (bucket by bucket) and <c>GET /v1/profile/{feature}</c> (folded by hour of day or day of week).</summary>
internal sealed class SeriesEndpoints(IFeatureReader reader)
{
    private static readonly string[] Weekdays = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

    /// <summary>What <see cref="GetSeries"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] SeriesQuery =
    [
        QueryArgs.KeyParameter,
        new("resolution", ApiDescription.QueryValue.Window,
            "The width of each bucket: a tile resolution of the feature (400 bad-window otherwise).", "1h") { Default = "1h" },
        new("from", ApiDescription.QueryValue.Time, "The start of the range, epoch milliseconds or ISO-8601, rounded down to a bucket (default: 7 days before to, shortened to what the feature keeps at the resolution and to the most buckets one query returns).", "T"),
        new("to", ApiDescription.QueryValue.Time, "The end of the range, epoch milliseconds or ISO-8601 (default: now). 400 bad-range when from is after to.", "T"),
    ];

    /// <summary>What <see cref="GetProfile"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] ProfileQuery =
    [
        QueryArgs.KeyParameter,
        new("kind", ApiDescription.QueryValue.Choice, "Fold by hour of day (slots 00-23, UTC) or by day of week (mon-sun).", "hour_of_day")
        {
            Default = "hour_of_day",
            Choices = ["hour_of_day", "day_of_week"],
        },
        new("days", ApiDescription.QueryValue.Integer, "How many days to fold, today so far included (default: 7 by hour of day, 28 by day of week).", "7")
        {
            Minimum = 1,
            Maximum = 366,
        },
    ];

    public IResult GetSeries(string feature, HttpRequest request)
    {
        var query = request.Query;
        if (!QueryArgs.TryWindow("resolution", query["resolution"].FirstOrDefault(), out long? resolution, out var problem)
            || !QueryArgs.TryTime("from", query["from"].ToString(), out long? from, out problem)
            || !QueryArgs.TryTime("to", query["to"].ToString(), out long? to, out problem))
        {
            return problem;
        }

        if (from is { } start && to is { } end0 && start > end0)
        {
            // An empty answer here would read as "no data"; the request itself is backwards.
            return Problems.Problems.Of(StatusCodes.Status400BadRequest, "bad-range", "Bad time range",
                $"from ({TimeMath.FormatUtc(start, "?")}, {start}) is after to ({TimeMath.FormatUtc(end0, "?")}, {end0}); from must be at or before to",
                [new("from", start), new("to", end0)]);
        }

        var key = QueryArgs.Key(request);
        var read = reader.ReadSeries(feature, key, resolution ?? Duration.Hour, from, to);
        if (!read.IsOk)
        {
            return Problems.Problems.FromRead(read.Failure, reader.Catalog);
        }

        var series = read.Value!;
        var points = series.Points.Select(p => new SeriesPointDto(p.StartMs, p.Value)).ToArray();
        long first = points.Length > 0 ? points[0].Start : from ?? 0;
        long end = points.Length > 0 ? points[^1].Start + series.ResolutionMs : to ?? 0;
        return TypedResults.Json(new SeriesResponse(series.Feature, key, Duration.Format(series.ResolutionMs), first, end, points),
            ServerJsonContext.Default.SeriesResponse);
    }

    public IResult GetProfile(string feature, HttpRequest request)
    {
        var query = request.Query;
        string kindText = query["kind"].FirstOrDefault() ?? "hour_of_day";
        ProfileKind kind;
        switch (kindText)
        {
            case "hour_of_day":
                kind = ProfileKind.HourOfDay;
                break;
            case "day_of_week":
                kind = ProfileKind.DayOfWeek;
                break;
            default:
                return Problems.Problems.BadParameter("kind", $"kind: '{kindText}' is not a profile; use hour_of_day or day_of_week");
        }

        if (!QueryArgs.TryInt("days", query["days"].FirstOrDefault(), 1, 366, out int? days, out var problem))
        {
            return problem;
        }

        var key = QueryArgs.Key(request);
        var read = reader.ReadProfile(feature, key, kind, days);
        if (!read.IsOk)
        {
            return Problems.Problems.FromRead(read.Failure, reader.Catalog);
        }

        var profile = read.Value!;
        var slots = profile.Slots.Select((value, i) => new ProfileSlotDto(
            kind == ProfileKind.HourOfDay ? i.ToString("00", System.Globalization.CultureInfo.InvariantCulture) : Weekdays[i], value)).ToArray();
        return TypedResults.Json(new ProfileResponse(profile.Feature, key, kindText, profile.FromMs, profile.ToMs, slots),
            ServerJsonContext.Default.ProfileResponse);
    }
}
