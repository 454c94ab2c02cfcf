using System.Text.Json;
using Freshet.Contracts;
using Freshet.Engine;
using Freshet.Features;
using Freshet.Time;
using Microsoft.AspNetCore.Http;

namespace Freshet.Server.Catalog;

/// <summary><c>GET /v1/features</c> and <c>GET /v1/features/{name}</c>: the loaded catalog, each feature as declared with its version.</summary>
internal sealed class CatalogEndpoints(FreshetEngine engine)
{
    public IResult GetAll()
    {
        var catalog = engine.Catalog;
        var settings = catalog.Settings;
        long now = engine.NowMs;
        bool hasNow = now != long.MinValue;
        var response = new CatalogResponse(
            // The file's name, not where it is on the server's machine.
            Problems.DataPaths.FileName(catalog.Definitions.SourceName),
            catalog.Definitions.DeclaredVersion,
            catalog.Version,
            catalog.Fingerprint,
            Code(settings.Clock.ToString()),
            Duration.Format(settings.AllowedLatenessMs),
            Duration.Format(settings.MaxFutureMs),
            hasNow ? now : null,
            hasNow ? TimeMath.FormatUtc(now, "?") : null,
            catalog.Entities.Select(e => new EntityDto(e.Name, e.Definition.KeyFields)).ToArray(),
            catalog.Features.Select(ToDto).ToArray());
        return TypedResults.Json(response, ServerJsonContext.Default.CatalogResponse);
    }

    public IResult GetOne(string name)
    {
        var catalog = engine.Catalog;
        return catalog.TryGetFeature(name, out var feature)
            ? TypedResults.Json(ToDto(feature), ServerJsonContext.Default.FeatureDto)
            : Problems.Problems.UnknownFeature(name, catalog);
    }

    private static FeatureDto ToDto(CompiledFeature feature)
    {
        var d = feature.Definition;
        bool ratio = d.Aggregation == AggregationKind.Ratio;
        bool trend = d.Aggregation == AggregationKind.Trend;
        return new FeatureDto(
            d.Name,
            d.Entity,
            FeatureDefinitionLoader.AggregationName(d.Aggregation),
            d.Description,
            d.EventTypes.IsEmpty ? null : d.EventTypes,
            d.Filter.IsEmpty ? null : d.Filter.Select(Describe).ToArray(),
            d.Field,
            d.WindowsMs.IsEmpty ? null : d.WindowsMs.Select(Duration.Format).ToArray(),
            d.K > 0 ? d.K : null,
            d.HalfLifeMs > 0 ? Duration.Format(d.HalfLifeMs) : null,
            d.Numerator,
            d.Denominator,
            ratio ? new PriorDto(d.PriorAlpha, d.PriorBeta) : null,
            d.Source,
            trend ? Duration.Format(d.ShortWindowMs) : null,
            trend ? Duration.Format(d.LongWindowMs) : null,
            d.Tiles.Select(t => new TileLevelDto(Duration.Format(t.ResolutionMs), Duration.Format(t.KeepMs))).ToArray(),
            feature.DefinitionFingerprint,
            feature.StateFingerprint);
    }

    /// <summary>A filter condition as it reads in YAML: <c>device in [ios, android]</c>, <c>price gte 10</c>.</summary>
    private static string Describe(FilterCondition condition) => condition.Op switch
    {
        FilterOp.Exists => $"{condition.Field} exists",
        FilterOp.In or FilterOp.NotIn => $"{condition.Field} {Code(condition.Op.ToString())} [{string.Join(", ", condition.Values.Select(Literal))}]",
        _ => $"{condition.Field} {Code(condition.Op.ToString())} {string.Join(", ", condition.Values.Select(Literal))}",
    };

    /// <summary>A literal as YAML would need it: strings quoted when empty or when they could read as something else.</summary>
    private static string Literal(FilterLiteral literal) =>
        literal.Text is { } text && (text.Length == 0 || text.Any(c => c is ',' or '[' or ']' or '"' or ':' or '#' || char.IsWhiteSpace(c)) || double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _))
            ? JsonSerializer.Serialize(text)
            : literal.ToString();

    private static string Code(string name) => JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
