using System.Text.Json;
using Freshet.Contracts;
using Freshet.Reading;
using Freshet.Seams;
using Freshet.Time;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Serving;

/// <summary>Feature vectors: <c>GET /v1/vector/{entity}</c> for one key and <c>POST /v1/vectors/{entity}</c> for many.</summary>
internal sealed class VectorEndpoints(IFeatureReader reader, ServerOptions options)
{
    /// <summary>What <see cref="GetOne"/> reads from the query.</summary>
    public static readonly ApiDescription.QueryParameter[] GetOneQuery =
    [
        QueryArgs.KeyParameter,
        new("features", ApiDescription.QueryValue.NameList, "Only these features of the entity (default: all), comma-separated or repeated.", "a,b"),
        new("windows", ApiDescription.QueryValue.WindowList,
            "Only these windows of each feature (default: each feature's declared windows), comma-separated or repeated. "
            + "A window must be a multiple of the feature's finest tile and within its retention (400 bad-window).", "1h,1d"),
        QueryArgs.AsOfParameter,
    ];

    public IResult GetOne(string entity, HttpRequest request)
    {
        var query = request.Query;
        if (!QueryArgs.TryWindows("windows", QueryArgs.List(query["windows"]), out var windows, out var problem)
            || !QueryArgs.TryTime("as_of", query["as_of"].ToString(), out long? asOf, out problem))
        {
            return problem;
        }

        var key = QueryArgs.Key(request);
        var vectorQuery = new VectorQuery { Features = QueryArgs.List(query["features"]), WindowsMs = windows, AsOfMs = asOf };
        var vector = reader.ReadVector(entity, key, vectorQuery);
        return vector.IsOk
            ? TypedResults.Json(ToDto(vector.Value!, key), ServerJsonContext.Default.VectorResponse)
            : Problems.Problems.FromRead(vector.Failure, reader.Catalog, entity);
    }

    public async Task<IResult> PostBatchAsync(string entity, HttpRequest request, CancellationToken cancellationToken)
    {
        VectorBatchRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, ServerJsonContext.Default.VectorBatchRequest, cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            return Problems.Problems.Of(StatusCodes.Status400BadRequest, "malformed-json", "Malformed JSON",
                $"the body is not a valid batch request ({Problems.JsonErrors.Describe(e)}); send {{\"keys\": [\"k1\", [\"part1\", \"part2\"]], \"features\": [...], \"windows\": [\"1h\"], \"as_of\": ...}}");
        }

        if (body?.Keys is not { Count: > 0 } keys)
        {
            return Problems.Problems.BadParameter("keys", "keys: give at least one key, e.g. {\"keys\": [\"i1\", \"i2\"]} (a composite key is an array of its parts)");
        }

        if (keys.Count > options.MaxBatchKeys)
        {
            return Problems.Problems.BadParameter("keys", $"keys: {keys.Count} keys asked; at most {options.MaxBatchKeys} per request");
        }

        if (!QueryArgs.TryWindows("windows", body.Windows, out var windows, out var problem)
            || !QueryArgs.TryTime("as_of", body.AsOf, out long? asOf, out problem))
        {
            return problem;
        }

        var parsedKeys = new string[keys.Count][];
        for (int i = 0; i < keys.Count; i++)
        {
            if (!TryKey(keys[i], out parsedKeys[i]))
            {
                return Problems.Problems.BadParameter("keys", $"keys[{i}] is {keys[i].ValueKind}; a key is a string (or number) or an array of strings for a composite key");
            }
        }

        // One plan and one as-of time for the whole batch, so every key is read at the same instant; the first key that
        // cannot be read (in request order) answers for the batch.
        var results = new ReadResult<FeatureVector>[parsedKeys.Length];
        reader.ReadVectors(entity, parsedKeys, new VectorQuery { Features = body.Features, WindowsMs = windows, AsOfMs = asOf }, results);
        var vectors = new VectorResponse[parsedKeys.Length];
        for (int i = 0; i < parsedKeys.Length; i++)
        {
            if (!results[i].IsOk)
            {
                return Problems.Problems.FromRead(results[i].Failure, reader.Catalog, entity);
            }

            vectors[i] = ToDto(results[i].Value!, parsedKeys[i]);
        }

        long at = results[0].Value!.AtMs;
        return TypedResults.Json(new VectorBatchResponse(entity, at, TimeMath.FormatUtc(at, "?"), vectors), ServerJsonContext.Default.VectorBatchResponse);
    }

    public static VectorResponse ToDto(FeatureVector vector, IReadOnlyList<string> key) =>
        new(vector.Entity, key, vector.AtMs, TimeMath.FormatUtc(vector.AtMs, "?"), vector.KnownKey, Readings(vector.Readings));

    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, ReadingDto>> Readings(IReadOnlyList<FeatureReading> readings)
    {
        var features = new Dictionary<string, IReadOnlyDictionary<string, ReadingDto>>(StringComparer.Ordinal);
        foreach (var reading in readings)
        {
            if (!features.TryGetValue(reading.Feature, out var windows))
            {
                features[reading.Feature] = windows = new Dictionary<string, ReadingDto>(StringComparer.Ordinal);
            }

            ((Dictionary<string, ReadingDto>)windows)[reading.Window] = new ReadingDto(reading.Value, reading.FromMs, reading.ToMs);
        }

        return features;
    }

    private static bool TryKey(JsonElement element, out string[] key)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                key = [element.GetString()!];
                return true;
            case JsonValueKind.Number:
                key = [element.GetRawText()];
                return true;
            case JsonValueKind.Array when element.EnumerateArray().All(p => p.ValueKind is JsonValueKind.String or JsonValueKind.Number):
                key = element.EnumerateArray().Select(p => p.ValueKind == JsonValueKind.String ? p.GetString()! : p.GetRawText()).ToArray();
                return true;
            default:
                key = [];
                return false;
        }
    }
}
