using Freshet.Aggregation;
using Freshet.Contracts;
using Freshet.Features;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Serving;

/// <summary>
/// <c>GET /v1/top/{feature}</c>: the heaviest items of a top_k feature over one window (for example the site's most
/// viewed items in the last hour). <c>with=item_ctr,item_trend</c> adds features of each item, read from the entity
/// keyed by the top-k field; <c>order_by=item_trend</c> re-ranks the list by one of them (what is trending now among
/// what is popular).
/// </summary>
internal sealed class TopEndpoint(IFeatureReader reader)
{
    /// <summary>What <see cref="Get"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] Query =
    [
        new("window", ApiDescription.QueryValue.Window, "The window to rank over (default: the feature's first declared window).", "1h"),
        new("k", ApiDescription.QueryValue.Integer, "How many items, from 1 to the feature's k (default: the feature's k).", "10") { Minimum = 1 },
        QueryArgs.KeyParameter,
        QueryArgs.AsOfParameter,
        new("with", ApiDescription.QueryValue.NameList,
            "Features of each item to add, read from the entity keyed by the top_k field (400 when there is none), comma-separated or repeated.",
            "item_ctr,item_trend"),
        new("order_by", ApiDescription.QueryValue.Text,
            "Re-rank the items by this feature of theirs, highest first (it is added to with); equal values keep the top-k order.", "item_trend"),
    ];

    public IResult Get(string feature, HttpRequest request)
    {
        var catalog = reader.Catalog;
        if (!catalog.TryGetFeature(feature, out var compiled))
        {
            return Problems.Problems.UnknownFeature(feature, catalog);
        }

        if (compiled.Definition.Aggregation != AggregationKind.TopK)
        {
            var topK = catalog.Features.Where(f => f.Definition.Aggregation == AggregationKind.TopK).Select(f => f.Name).ToArray();
            return Problems.Problems.Of(StatusCodes.Status422UnprocessableEntity, "not-supported", "Not a top_k feature",
                $"feature '{feature}' is {FeatureDefinitionLoader.AggregationName(compiled.Definition.Aggregation)}, not top_k; top_k features: {(topK.Length == 0 ? "none" : string.Join(", ", topK))}",
                [new("top_k_features", topK)]);
        }

        var query = request.Query;
        if (!QueryArgs.TryWindow("window", query["window"].FirstOrDefault(), out long? window, out var problem)
            || !QueryArgs.TryTime("as_of", query["as_of"].ToString(), out long? asOf, out problem)
            || !QueryArgs.TryInt("k", query["k"].FirstOrDefault(), 1, compiled.Definition.K, out int? k, out problem))
        {
            return problem;
        }

        var with = QueryArgs.List(query["with"]) ?? [];
        string? orderBy = query["order_by"].FirstOrDefault();
        if (orderBy is not null && !with.Contains(orderBy, StringComparer.Ordinal))
        {
            with = [.. with, orderBy];
        }

        CompiledEntity? itemEntity = null;
        if (with.Length > 0)
        {
            itemEntity = catalog.Entities.FirstOrDefault(e => e.Definition.KeyFields is [var field] && field == compiled.Definition.Field);
            if (itemEntity is null)
            {
                return Problems.Problems.BadParameter("with",
                    $"with: no entity is keyed by the field '{compiled.Definition.Field}' of feature '{feature}', so its items have no features to add");
            }
        }

        var key = QueryArgs.Key(request);
        long windowMs = window ?? compiled.Definition.WindowsMs[0];
        var top = reader.ReadVector(compiled.Entity.Name, key, new VectorQuery { Features = [feature], WindowsMs = [windowMs], AsOfMs = asOf });
        if (!top.IsOk)
        {
            return Problems.Problems.FromRead(top.Failure, catalog, itemEntity?.Name);
        }

        var vector = top.Value!;
        var reading = vector.Readings[0];
        var items = (reading.Value.Items ?? []).Take(k ?? compiled.Definition.K).ToArray();
        // The items' features in one batch read, as of the top-k's time.
        var itemKeys = itemEntity is null ? [] : items.Where(item => item.Item is not null).Select(item => (IReadOnlyList<string>)[item.Item!]).ToArray();
        var itemVectors = new ReadResult<FeatureVector>[itemKeys.Length];
        if (itemEntity is not null)
        {
            reader.ReadVectors(itemEntity.Name, itemKeys, new VectorQuery { Features = with, AsOfMs = vector.AtMs }, itemVectors);
        }

        var dtos = new TopItemDto[items.Length];
        var sortKeys = new double[items.Length];
        for (int i = 0, read = 0; i < items.Length; i++)
        {
            var item = items[i];
            IReadOnlyDictionary<string, IReadOnlyDictionary<string, ReadingDto>>? features = null;
            if (itemEntity is not null && item.Item is not null)
            {
                var itemVector = itemVectors[read++];
                if (!itemVector.IsOk)
                {
                    return Problems.Problems.FromRead(itemVector.Failure, catalog, itemEntity.Name);
                }

                var readings = itemVector.Value!.Readings;
                features = VectorEndpoints.Readings(readings);
                sortKeys[i] = orderBy is null ? 0 : readings.FirstOrDefault(r => r.Feature == orderBy)?.Value is { Kind: FeatureValueKind.Number } v && double.IsFinite(v.Number) ? v.Number : double.NegativeInfinity;
            }

            dtos[i] = new TopItemDto(item.Item, item.Value, item.Error == 0 ? null : item.Error, features);
        }

        if (orderBy is not null)
        {
            // Stable: equal scores keep the top-k order.
            dtos = dtos.Select((d, i) => (d, i)).OrderByDescending(x => sortKeys[x.i]).ThenBy(x => x.i).Select(x => x.d).ToArray();
        }

        return TypedResults.Json(new TopResponse(feature, key, reading.Window, vector.AtMs, TimeMath.FormatUtc(vector.AtMs, "?"), reading.FromMs, reading.ToMs, orderBy, dtos),
            ServerJsonContext.Default.TopResponse);
    }
}
